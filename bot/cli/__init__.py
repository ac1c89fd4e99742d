"""The `entraide` command line: verbs, the doctor, operator tasks."""
