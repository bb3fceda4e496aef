"""Live runs: supervise the fakes, proxy, gateway and Locust; drive the timeline; collect; report."""
