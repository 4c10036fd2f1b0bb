"""Where an attempt is carried out: `local` runs it as processes on this machine."""
