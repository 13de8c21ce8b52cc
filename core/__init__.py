"""Pure domain pieces shared by every process: settings, jobs, events, auth, errors."""
