"""The SimPy digital twin: the gateway's own flows, the fakes' fault engine, in virtual time.

- ``run``: one twin run (``SimSetup`` → records in a run directory, the same files a live run leaves);
- ``scenario``: a scenario and the live planner's output → ``SimSetup``;
- ``interpreter``: performs ``gateway.core`` effects in SimPy time;
- ``provider``/``wire``/``network``: a provider as the fakes and the proxy would play it, the
  gateway's own client parsing the answer;
- ``timeline``: toxics and admin actions at their virtual instants;
- ``records``: streamed JSONL writers and the core's observer;
- ``queueing``/``batch_means``/``mmc``: the queueing-theory proofs of fidelity;
- ``fidelity``: a live report against the twin's, by issue 9's bar;
- ``plan``: capacity planning (the spec, the knobs, the recommendation).

Modules are imported by name (``from sim.run import run_sim``): importing the package costs nothing.
"""
