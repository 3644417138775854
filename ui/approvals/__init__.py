"""Approvals (审批) on the clerk's side: the remote-approval request and its wait."""
