"""Counter devices behind small interfaces, each with a simulated one for the demo and tests."""
