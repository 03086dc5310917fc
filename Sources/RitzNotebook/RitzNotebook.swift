// Module placeholder; its sources arrive with the issue that builds it.
