"""One screen per job: home, study, browse, import, settings, help (+ calculators, stats)."""
