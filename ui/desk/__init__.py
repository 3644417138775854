"""The supervisor's desk (主管工作台): approvals, the day's queue reviewed, tills, service
evaluation and staff performance, staff accounts. Reachable with supervisor or admin rights;
the services check the same rights."""
