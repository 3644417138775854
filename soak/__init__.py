"""Fault trials (`make soak`): order-taking processes killed with SIGKILL at random moments,
then the database checked; several processes on one SQLite file and several counters against
one central PostgreSQL, checked for doubles and for errors a clerk could not act on."""
