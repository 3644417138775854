"""`make bench`: what clerks feel, each figure beside a baseline measured in the same run."""
