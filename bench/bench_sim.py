"""Benchmark (not a test): the twin's speed, and the 1 M-request queueing proofs.

Speed: simulated user requests per wall second through the full stack (the
gateway core's parse pipeline, fault engine, reply and service models, wire,
records streamed to disk) on one core, printed beside a bare SimPy M/M/c
(Poisson arrivals, ``Resource(c)``, exponential service, no bookkeeping)
measured in the same run — the machine is shared, so only the ratio travels.
The full stack is measured with the gateway's cache on (its default: repeated
prompts are hits) and off (every request calls a provider).

Memory: the peak RSS of twin runs of increasing simulated duration, each in its own forked child (so
a figure is that run's, not the largest so far); records are streamed, so it must not grow.

Evaluation: the report (read the run, evaluate the rules, severity and expectations) of a run and of
one twice as long, CPU seconds: linear in run length reads ~2x, quadratic ~4x.

    .venv/bin/python bench/bench_sim.py                  # speed + memory + evaluation, ~3 min
    .venv/bin/python bench/bench_sim.py --hours 24       # the stretch: 24 h of 50 req/s (4.32 M requests)
    .venv/bin/python bench/bench_sim.py --eval 1800      # evaluation only: reports of 0.5 h and 1 h
    .venv/bin/python bench/bench_sim.py --proof          # M/M/c over 2 M calls, M/M/1 over 1 M (~4 min)

Targets (issue 9 item 5): ratio >= 0.25x the bare model; 24 h of 50 req/s in < 3 min.

Eleventh stage (2026-12-03, session 10; three helpers' branches, two kept in part; callgrind instructions per
request, (Ir(240 s) - Ir(120 s)) / requests between, PYTHONHASHSEED=0): cache off 397,110 -> 386,675 (-2.6 %;
392,428 once session 11's review took the event memo back out, below), cache on 53,025 -> 52,789 (52,082).  24 h
of 50 req/s in 78 s wall, 0.415x that run's bare model (~133,000/s: a fast day), peak RSS 155 MiB where it was
166.  Every output byte for byte the same.  What did it:

- a call or event line's time written as ``round(at, 6)``'s ``.6f`` text without trailing zeros (exact from
  1e-4 s to 2**32 s, a test checks: -1.3 %);
- (taken back out on session 11's review) an event line's text after its time kept by kind and detail.  A shed
  event's reason carries its wait to the millisecond ("next start in 57.662s"), so 440 of 7,124 events hit in
  240 s of the cache-off set-up, and a unique event cost 2.29 us with the memo against 1.04 us without
  (``timeit``, 20,000 reasons).  Callgrind read it -1.7 % cache off all the same (385,816 against 392,428
  instructions a request, each twice), which its hits cannot account for (~0.05 %), and +2.5 % cache on
  (53,363 against 52,082); wall time did not show it: 5
  alternating pairs of 1,200 s cache off, 13,698 against 13,648 requests per CPU second (spread
  13,174-13,924).  A memo whose own mechanism cannot explain its gain was not worth its 20 lines;
- the breaker asks ``state()`` only when OPEN in ``release`` and ``on_success``, as ``would_admit`` did;
- a leak: ``RetryBudget`` pruned its log only when asked ``can_retry``, so without retries it kept every
  attempt's time (live too); it prunes as it records now (-11 MiB at 24 h with the cache on).
Dropped: an inlined mixer in ``KeyedRandom.random`` and a per-provider generator factory (-0.64 %, a second
copy of the mixer), ``Router.choose`` writing out ``_is_healthy`` (-0.8 %, the rule twice), and ``_step``
scheduling a provider call's ``Timeout`` by hand on SimPy's private heap (-1.5 %, SimPy's internals); on
review, the limiter's queue-full reason kept by its count (state the config already fixes), the validators'
fast tests written out beside ``check_time`` and ``_check_duration``, a second ``auto`` test before
``_evaluate``'s own, and ``call_llm``'s hand-written clamp and positional result (together 381,103 -> 386,675).
Tried: mypyc.  Compiling the pipeline, ``call_llm`` and the interpreter gave no measurable change (12.7k ->
12.9k requests per CPU second, cache off: the cost is spread over ~40 functions of plain dataclasses); a
wider set failed at import (a ``ClassVar`` dataclass, numpy arrays through the typed mixer).  The cache-off
target (0.25x) needs ~2.6x, which no such step gives: it stays not met, at ~0.10x.
Also tried (2026-12-03, session 11): Cython 3.3 in pure-Python mode (annotation typing off, so the code is
the same) over 83 modules: the gateway's core and policies, sim, workload, units and the fault engine.  Cache
off 12,579 -> 12,839 requests/s (+2 %, within the noise), cache on 50,946 -> 45,002 (-12 %), bare model
~130k/s on both sides.  CPython 3.11's specialising interpreter already runs this attribute- and call-heavy
code about as fast as Cython's generic object code does, so no compiler tried here closes the gap.  The
counts say why: 0.25x is <= 31 us a request here (four bare requests' worth), against 79 us measured, spread
over ~317 Python function calls a request (cProfile: 19.0 M calls for 59,936 requests, ~2.1 SimPy steps and
~1.1 provider calls each) with no function above ~7 % of the time.

Ninth and tenth stages (2026-12-02, sessions 8 and 9; session 8 wrote a kept answer's tail once, callgrind
68,474 -> 64,576; session 9, callgrind instructions per request, cache on, (Ir(240 s) - Ir(120 s)) / requests
between, PYTHONHASHSEED=0, on another machine: 60,188 -> 53,340, -11.4 %).  24 h of 50 req/s in 130 s wall,
0.388x that run's bare model (85,319/s); the code before took 183 s at 0.346x (68,213/s) the same day.  Every
output byte for byte the same.  What did it:

- a taken slot's cache hit (-7.2 %): on a still clock its outcome is kept too, with its negotiation call's
  spec and hit, and handed back while that entry still gives the same hit (looked up once, as the full path
  would; a changed entry goes the full path with what was found): kept hits 85.1 -> 93.2 % of an hour;
- a kept outcome's record tail (-4.5 %): kept with its values by the outcome's id (``kept_records.kept_tail``),
  one dictionary lookup a request where three were (values, kept check, tail); in a run's dictionaries of
  thousands of entries a lookup is mostly cache misses (~0.8 us for a shuffled 8,192-entry one here).
Left: ~6.8 % of requests miss (each prompt's entry expires every 300 s) at ~130-180 us each, flat across
router, limiter, fault engine, answer, wire, record_call and records; with the cache off 0.096x.

Eighth stage (2026-12-02, session 7; two branches merged, against 2c1b181; callgrind instructions per
request at steady state, (Ir(240 s) - Ir(120 s)) / requests between, cache on: 120,748 -> 70,165
(-41.9 %); pyenv 3.11.7 -> Debian 3.11.2 on the same code, alternating, per CPU second: x1.08 and x1.19).
24 h of 50 req/s (4,319,531 requests) in 183, 186 and 191 s wall on Debian's python3.11 (static, optimised; the
venv's interpreter since this stage), 0.43x-0.45x that run's bare model where the target asks 0.46x; the
machine's speed moves ~30 % between sessions (bare model 38k-52k/s), so the target is still not met
reliably.  Every output byte for byte the same.  What did it:

- a still clock's cache hit (-35 %): ``Clock.stands_still`` (true only for the twin's ``SimClock``); on it a
  hit whose slot is free and that runs at its arrival time has every agent at 0 s and an outcome that is a
  pure function of (kept hit, reference date, degraded, conservation, probe), so ``parse_appointment``
  hands back the outcome it kept (the cache still asked, the observer still told, per request); the twin
  keeps that outcome's record values (``sim.kept_records``, ``workload.outcome.answer_values``);
- the prompt draws (-9 %): ``units.keyed_blocks`` draws a block of 4,096 request ids' prompts at once in
  numpy's uint64 arithmetic, the same index as ``keyed_choice_of`` for every key (property-tested).
Left: ``repr`` of each record's ``intended_s`` (~12k instructions, now the biggest single cost: exact, and
no cheaper exact way known), ``parse_appointment``'s prefix (mode view, parse call, cache lookup: three
memos that one keyed by prompt could merge), a ``KeyedRandom`` per provider call with the cache off.

Seventh stage (2026-12-01, session 6; four branches merged, against b6e2926; callgrind instructions per
request, cache on, at steady state: 600 s simulated 212,280 -> 180,386 (-15.0 %), 240 s 257,430 -> 226,679
(-11.9 %); cache off, 240 s, 545,682 -> 520,290 (-4.7 %)).  4 h of 50 req/s, alternating with b6e2926, per
CPU second: 18,806 / 22,437 / 19,562 -> 26,241 / 25,534 / 22,503 (x1.14-1.40).  24 h of 50 req/s
(4,319,531 requests): 191 s and 204 s wall in two runs (peak RSS 149 MiB), against 209 s projected for
b6e2926 the same day from its 4 h rate: the machine was ~15 % slower than in session 5, and a 24 h run
is still slower per request than a 4 h one (21.2k against 22.5-26.2k per second; not yet explained), so
the 3 min target is not met reliably.  Every output byte for byte the same.  What did it:

- the core (-7.7 %): a cache hit yields its spec's kept ``CacheGet`` and gets a kept ``LlmResult`` per
  key (``llm_flow.cache_hit``, checked against the entry); the pipeline looks its parse's exact key up
  itself, so a hit starts no ``call_llm`` generator (``looked_up``); one clock read an agent; the 200
  ``ParseOutcome`` built positionally (its field order pinned by a test);
- the records (-4.1 %): the request line's fifteen middle fields kept as one text per value
  (``sim.request_line._middle``); ``answered_values`` reads the validation verdict inline;
- arrivals (-2.2 %): ``units.keyed_random.keyed_choice_of`` mixes the seed's part, ``len`` and the mask
  once for every request's prompt (``workload.prompts.prompt_chooser``; ``keyed_below`` goes through the
  same loop); ``every_arrival`` keeps one callbacks list; ``KeyedRandom`` slotted, ``random`` one call less;
- the interpreter (-1.5 %): ``sim.interpreter.Effects.start`` performs a request's effects in its own step
  loop, without ``perform``'s generator between (probes still run ``perform`` in a process).
Left: the two float reprs of each request line (~8,500 instructions), ``ParseOutcome``'s init through
``frozen_init``'s slot setters (``PyArg_UnpackTuple`` ~0.7 %), ``MemoryCache.get``'s ``move_to_end``, the
pipeline's own body (~7 %), making a ``KeyedRandom`` per provider call (~12,800 instructions, 2.6k of it
the Mersenne state every ``random.Random`` allocates) with the cache off.

Sixth stage (2026-12-01, session 5; four branches merged, against 01c58c2; callgrind instructions per
request of a 120 s set-up, which repeat to 0.05 %, so the figure does not depend on the neighbours):
cache on 455,900 -> 360,407 (-21 %), off 756,074 -> 618,658 (-18 %); at 240 s simulated 256,780 on
(the 120 s figure carries the first parses of every prompt).  ``speed(1200)`` alternating with 01c58c2,
per CPU second: on 11,697 / 14,140 -> 24,721 / 22,588 (0.22x -> 0.31-0.32x the same run's bare model),
off 6,529 / 6,145 -> 8,995 / 8,559 (0.10-0.12x -> 0.11-0.12x).  24 h of 50 req/s (4,319,531 requests):
204 s wall on a quiet machine, peak RSS 148 MiB (target 180 s: ~13 % short).  Every output byte for byte
the same (``compare``: ten library scenarios in ``--mode sim``, both bench set-ups, the M/M/1 stack
set-up).  What did it:

- records: the body -> record mapping computed once into the record's 24 values
  (``workload.outcome.answered_values``), rendered as the live ``RequestRecord``, its dict, or the twin's
  line, which checks only what the mapping passes through; ``parse_body`` copies an all-zero agents dict;
  string-only state events formatted directly;
- arrivals: ``units.keyed_random.keyed_below`` draws ``randrange(n)``'s number without a generator object;
  ``workload.schedule.arrival_pairs`` from C iterators; ``sim.arrivals.every_arrival`` replaces the source
  process and its ``Timeout`` per arrival by one rescheduled event (same priorities, same order);
- the core: the cache lookup inline in ``call_llm`` (no generator a hit), a ``CacheSpec`` key worked out
  once, the negotiation call kept per parse, ``ModeController.state`` kept until a mode changes, the
  resolvers' answers kept per expression, the effects and ``units.frozen_init`` for every per-call frozen
  value (the fault engine's ``Decision``, ``Normal``, ``Reply``, ``Pace``, ``RequestInfo`` too);
- a provider call: ``Router.choose`` asks each breaker once, ``Wire.read`` keeps a request object's parsed
  call and ``RequestInfo``, the fault engine skips an empty plan's window scan.
Left (py-spy, cache on, share of the run): the pipeline's own body ~9 %, the request line ~8.6 % (two
float reprs a request are half of it), the frozen values' ``__init__`` ~5 %, ``keyed_below`` ~4.7 %,
``answered_values`` + ``is_correct`` ~6.6 %; cache off, the limiter's shed round (8,811 of 11,237
reservations in 300 s shed: a ``Shed``, a state event and its line, a second ``choose``), ``call_llm``'s
own body and ``record_call``.  A block draw of 512 prompt picks at once (big-integer lanes) saved 1.2 %
more and was left out: not worth its complexity.

Fifth stage (2026-12-01; against 91a193f, which has the keyed generators of ``units/keyed_random``; per
CPU second, alternating, load 1.2-3.3 on 2 cores, so the sessions disagree again): ``speed(1200)``, best of 3
rounds, cache on 14,936 -> 17,167 (+15 %) in one session and 13,407 -> 12,413 (-7 %) in a noisier one, off
7,064 -> 7,259 (+3 %) and 5,261 -> 5,432 (+3 %); against the same run's bare model 0.19-0.22x -> 0.20-0.23x
on, 0.08-0.10x -> 0.09-0.10x off.  600 s set-ups, 7 alternating pairs with the cache on (the first two
before the request line): every run of these changes faster than its neighbour at 91a193f, +7 % to +19 %
(best 12,927 -> 15,252 per CPU second); 3 pairs off: -0.3 % to +4 %.
2 h of 50 req/s (360,112 requests): 23 / 22 s -> 22 / 20 s wall (24 h ~ 4 min; target 3 min), peak RSS
125 MiB both.  Every output byte for byte the same (requests/calls/events, report.json/.md/html, junit,
plots of ten library scenarios in ``--mode sim``, run.json and records of both bench set-ups and the M/M/1
stack set-up; against 91a193f): the frozen values built per request or call (``ParseOutcome``,
``LlmResult``, ``CallEvent``) store their fields through their slots' descriptors (then
``gateway.core.slot_init``, now ``units.frozen_init``: 4.8 -> 2.6 us for ``ParseOutcome``; same class,
signature, equality and freezing); ``Stack.mode_view`` keeps its view while ``ModeController.state``
hands out the same ``Modes``;
a zero agent time is not rounded (the twin's pure agents: five of seven ``round`` a request); one clock read
per pure agent (each one's end is the next one's start); the request line formatted by one f-string
(``sim.request_line``: ~8 -> ~5 us, the encoder's bytes, any other row still encoded).
Left (cache on, timeit of the pieces on a typical request here, ~58 us a request in the best round, 0.25x
is ~50 us): the request line ~5 us, ``parse_body`` ~3.4 us and ``answered_row`` ~3.5 us (the body built
and read back), ``choose_prompt`` ~3.4 us (``keyed_rng`` mixes seed and stream again for every key:
memoising those two mixes is ``units/``' change), ``ParseOutcome`` ~1.7 us; cache off, ``call_llm``'s
per-call sets and dicts, ``router.choose``, ``record_call``, the fault engine and reply model and one
``keyed_rng`` per call.  No single piece left is worth more than ~8 %: 0.25x with the cache on needs several
of them, or a twin that skips the body round trip (``parse_body`` then ``answered_row``).

Fourth stage (2026-12-01; per CPU second, ce82c63 and these changes run alternately, best of 3 rounds
each, load 1-4 on 2 cores, so the sessions disagree): ``speed(1200)`` cache on 11,597 -> 14,899 (+28 %)
and 10,763 -> 12,386 (+15 %), off 6,048 -> 7,367 (+22 %) and 5,635 -> 5,886 (+4 %); 600 s set-ups, every
run of these changes faster than every run of ce82c63: on 8,998 -> 10,972 (+22 %), off 4,310 -> 5,678
(+32 %).  Against the same run's bare model 0.13-0.20x -> 0.17-0.21x on, 0.07-0.11x -> 0.08-0.10x off.
2 h of 50 req/s (360,112 requests): 35 / 46 s -> 28 / 29 / 32 s wall (24 h ~ 6 min; target 3 min).
Memory flat (111 MiB peak at 0.08 / 0.33 / 1.33 h; the child 107 MiB before any run).  Every output byte
for byte the same (requests/calls/events, report.json/.md/html, junit, plots of ten library scenarios in
``--mode sim``, run.json and records of both bench set-ups and the M/M/1 stack set-up; against ce82c63):
request records written as their dict (``workload.outcome.answered_row``, every field in field order)
instead of a 25-field frozen ``RequestRecord`` walked back into one; the agents that need no LLM and the
parse result kept per (answer text, reference date), per (prompt, date) for the regex fallback
(``gateway/core/agents.py``); the parse call's ``ChatRequest`` and ``CacheSpec`` kept per prompt; call
lines formatted directly (``sim.records._call_line``); state events without an ``EventRecord``; ``Modes``
built once per value; gold compared without normalising equal texts.
Left (cProfile, cache on / off): ``choose_prompt`` and ``call_rng`` seeding Mersenne Twisters ~9 % / ~8 %
(the keyed generator of ``units/keyed_random`` replaces them in another change); the request line's JSON
~5 % / ~4 % (C encoder); the pipeline's body ~9 % / ~5 % (~14 clock reads, the 17-field frozen
``ParseOutcome``: 2.6 us, 0.6 us unfrozen); ``render.parse_body`` ~5 % (seven ``round`` a request);
``Stack.mode_view`` ~4 % on; with the cache off ``call_llm`` ~6 %, ``record_call`` ~7 %, ``router.choose``
~6 %, the fault engine and reply model ~12 %.  ~67 us a request on, ~136 us off (best rounds; 0.25x is
~50 us): the target needs the keyed generator and then a core that builds fewer frozen values a request.
This module is longer than 300 lines for this docstring: each stage's figures, kept beside the code.

Third stage (2026-12-01; default ``--seconds 1200``, per CPU second; HEAD and HEAD + these changes run
alternately, best of 2, so both see the same neighbours): cache on 7,715 -> 10,598 (+37 %), off 4,674 ->
5,545 (+19 %).  One bench run each (the bare model itself read 55,676 and 65,874 per CPU second: only
runs side by side compare): HEAD 6,735 / 4,354, these changes 7,884 / 5,217.  2 h of 50 req/s (360,112
requests) in 40 s wall (24 h ~ 8 min; target 3 min).  What did it, every output byte for byte the same
(requests/calls/events and report.json/.md of six library scenarios and both bench set-ups, against the
tree without these changes):

- no SimPy process per request (``sim.interpreter.start``): the first step runs at once and each later
  one from the callback of the event it waits for, as ``Process._resume`` does, without the process,
  its start event and its end event (a request answered from the cache never waits at all);
- records: the JSON line encoder is built once (``json.JSONEncoder.encode`` builds its C encoder per
  line); event records skip ``dataclasses.asdict``'s deep copy when the detail is flat (a shed event
  per refused call: ~7 % of a cache-off run); call records are written without building a ``CallRecord``;
- pure results memoised: ``cache_key`` (sha256 of canonical JSON, asked 2x per miss, 1x per hit),
  ``decode_completion`` (a JSON decode per hit), ``workload.prompts.normalise`` (6 per answer);
- the twin's clock reads ``Environment._now`` (``env.now`` is a property; ~15 reads a request).

What is left, measured (cProfile and substitution): seeding Mersenne Twisters is the largest single cost,
~15 % of a cache-on and ~22 % of a cache-off run: ``choose_prompt`` seeds one from a string per request
and ``call_rng`` one from an int per provider call (~17-23 us each here; replacing both by one shared
generator took cache on 6,884 -> 8,119 and off 3,415 -> 4,382).  Any cheaper per-call generator changes
every draw, live and sim, so it is a decision for the fault engine and the workload, not a speed patch.
Then the pipeline's own body and ``dataclasses.replace`` in its ``_finish`` (~8 %), ``answered_data``'s
25-field frozen ``RequestRecord`` (~10 % on), the records' JSON (~6 %), the policy machines per call
(router, breaker, limiter, retry budget: ~10 % off) and SimPy itself (~8 %).  0.25x is ~50 us a request
on this machine; a request costs ~95 us with the cache on and ~180 us with it off, so the target stays
out of reach without a leaner core (fewer objects per request) and a cheaper seeded generator.
Evaluation is linear with the evaluator's column rewrite (in the tree beside this stage, not part of it):
0.33 h -> 0.67 h of run, evaluate x2.18 (0.12 -> 0.26 s), read x1.77, peak RSS 123 -> 134 MiB; at HEAD
x2.5-3.0 (0.55-0.63 -> 1.59-1.67 s), peak RSS 183 -> 272 MiB.  Twin memory is flat: 111 / 112 / 113-115
MiB peak RSS at 0.08 / 0.33 / 1.33 h simulated (a child process measures 104 MiB before any run).

After the cheap wins (2026-12-01, second stage; ``--seconds 240``, per CPU second): the twin maps the
core's body to its record without a JSON round trip (``workload.outcome.answered_data``) and the core
memoises ``parse_llm_answer`` (pure, immutable result): bare 85,581; twin 8,118 with the cache on (0.095x,
was 5,220 = 0.060x in the same session before), 5,158 off (0.060x, was 3,850 = 0.044x).  The rest is
spread thin (SimPy's generator hops, the policy machines, record encoding): 0.25x needs a structural change.

Earlier (2026-12-01, first stage, 2 cores shared by ~6 sessions, so absolute rates are pessimistic):
bare M/M/c 60,535 requests per CPU second; twin 3,938 with the cache on, 2,852 off (0.065x / 0.047x; per
wall second 0.03x-0.09x depending on the neighbours).  The gateway core's parse pipeline costs ~0.25-0.35 ms a
request (``bench_gateway.py``: 3,071 parse req/s), so the ratio target is out of reach without a faster core.
2 h of 50 req/s (360,112 requests) took 190 s wall (so 24 h ~ 38 min here, ~18 min on a quiet core);
peak RSS 73-78 MiB from 0.04 h to 2 h simulated.
``--proof`` over 1 M requests: M/M/3 rho 0.6 mean wait 0.29721 ± 0.00480 vs Erlang C 0.29562 (+0.54 %),
P(wait) 0.35527 ± 0.00267 vs 0.35474 (+0.15 %); M/M/1 rho 0.5 response p95 5.9859 ± 0.0562 vs 5.9915
(provider level), 5.9994 ± 0.0612 through the whole stack (999,795 requests, 543 s; +0.13 %).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import resource
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fake_providers.faults.plan import FaultPlan  # noqa: E402
from gateway.config import config_from_mapping  # noqa: E402
from reports.io import load_run  # noqa: E402
from reports.report import build_report  # noqa: E402
from reports.runinfo import RunInfo  # noqa: E402
from scenarios.schema import Prompts  # noqa: E402
from sim.bare_model import bare_mmc  # noqa: E402
from sim.batch_means import batch_interval, quantile  # noqa: E402
from sim.mmc import mmc_stack_setup, run_mmc  # noqa: E402
from sim.queueing import erlang_c, mm1_response_quantile, mmc_mean_wait  # noqa: E402
from sim.run import SimSetup, run_sim  # noqa: E402
from sim.scenario import corpus_prompts  # noqa: E402
from workload.schedule import Stage  # noqa: E402


def stack_setup(rate: float, duration_s: float, cache: bool, seed: int = 1, report: bool = False) -> SimSetup:
    config = config_from_mapping({"seed": seed, "cache": {"enabled": cache}})
    info = RunInfo("bench-sim", mode="sim", seed=seed, duration_s=duration_s) if report else None
    return SimSetup(config, FaultPlan.parse({"faults": []}), (Stage(duration_s, rate),),
                    corpus_prompts(Prompts()), seed, run_info=info)


def twin_rate(setup: SimSetup) -> tuple[float, int, float, float]:
    """Requests per wall second, requests, wall seconds, requests per CPU second."""
    with tempfile.TemporaryDirectory(prefix="llmdrill-bench-sim-") as tmp:
        cpu = time.process_time()
        result = run_sim(setup, Path(tmp))
        cpu = time.process_time() - cpu
    return result.requests / result.wall_s, result.requests, result.wall_s, result.requests / cpu


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def speed(seconds: float) -> None:
    n = 200_000
    print(f"interpreter: {interpreter()}")
    bare, bare_cpu = bare_mmc(40.0, 1.0, 50, n)
    print(f"bare SimPy M/M/c (c=50, rho=0.8): {bare:,.0f} requests/s ({bare_cpu:,.0f} per CPU second; "
          f"{n:,} requests)")
    for cache in (True, False):
        rate, count, wall, per_cpu = twin_rate(stack_setup(50.0, seconds, cache))
        print(f"twin, full stack, 50 req/s, cache {'on ' if cache else 'off'}: {rate:,.0f} requests/s "
              f"({count:,} requests in {wall:.1f} s) = {rate / bare:.3f}x the bare model; per CPU second "
              f"{per_cpu:,.0f} = {per_cpu / bare_cpu:.3f}x  (target >= 0.25x)")


def _child(fn: Any, *args: Any) -> Any:
    """``fn(*args)`` in a forked child: its peak RSS is its own, not the largest of every run before it."""
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(1) as pool:
        return pool.apply(fn, args)


def _twin_peak(seconds: float) -> tuple[int, float]:
    _, count, _, _ = twin_rate(stack_setup(50.0, seconds, True))
    return count, peak_rss_mib()


def memory(seconds: Sequence[float]) -> None:
    base = _child(peak_rss_mib)
    print(f"peak RSS of a child before any run: {base:.0f} MiB")
    for s in seconds:
        count, peak = _child(_twin_peak, s)
        print(f"peak RSS of a twin run of {s / 3600:.2f} h simulated ({count:,} requests): {peak:.0f} MiB")


def _evaluate(seconds: float) -> tuple[int, float, float, float]:
    """(requests, seconds to read the run, seconds to evaluate rules + severity + expectations, peak RSS)."""
    with tempfile.TemporaryDirectory(prefix="llmdrill-bench-eval-") as tmp:
        result = run_sim(stack_setup(50.0, seconds, True, report=True), Path(tmp))
        started = time.process_time()
        run = load_run(Path(tmp))
        loaded = time.process_time()
        build_report(run.info, run.requests, run.calls, run.events)
        built = time.process_time()
    return result.requests, loaded - started, built - loaded, peak_rss_mib()


def evaluation(seconds: float) -> None:
    """Read + evaluate a run and one twice as long: linear in run length means ~2x, quadratic ~4x."""
    figures = [_child(_evaluate, s) for s in (seconds, 2 * seconds)]
    for s, (count, read_s, eval_s, peak) in zip((seconds, 2 * seconds), figures, strict=True):
        print(f"report of {s / 3600:.2f} h ({count:,} requests): read {read_s:.2f} s, evaluate {eval_s:.2f} s "
              f"CPU; peak RSS {peak:.0f} MiB")
    (_, r1, e1, _), (_, r2, e2, _) = figures
    print(f"doubling the run: read x{r2 / r1:.2f}, evaluate x{e2 / e1:.2f} (linear ~2, quadratic ~4)")


def interpreter() -> str:
    """Which Python ran the figures: the same code runs ~1.2-1.5x faster on a static, optimised build
    (Debian's python3) than on a shared one built without PGO (pyenv's default)."""
    static = not sysconfig.get_config_var("Py_ENABLE_SHARED") or "libpython" not in _linked(sys.executable)
    return f"{sys.executable} (Python {platform.python_version()}, libpython {'static' if static else 'shared'})"


def _linked(executable: str) -> str:
    try:
        return subprocess.run(["ldd", executable], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return ""


def stretch(hours: float) -> None:
    n = 200_000
    bare, _ = bare_mmc(40.0, 1.0, 50, n)
    rate, count, wall, _ = twin_rate(stack_setup(50.0, hours * 3600, True))
    # the target is a wall time, so it travels with the machine: what it asks of the twin as a ratio to the
    # bare model of this run says how far it is on any machine
    needed = 24 * 3600 * 50.0 / 180.0
    print(f"interpreter: {interpreter()}")
    print(f"bare SimPy M/M/c (c=50, rho=0.8): {bare:,.0f} requests/s")
    print(f"{hours:g} h of 50 req/s: {count:,} requests in {wall:.0f} s ({rate:,.0f} requests/s = {rate / bare:.3f}x "
          f"the bare model; target < 180 s for 24 h, i.e. {needed:,.0f} requests/s = {needed / bare:.3f}x it here); "
          f"peak RSS {peak_rss_mib():.0f} MiB")


def proof(n: int, parts: Sequence[str]) -> None:
    mean = lambda xs: sum(xs) / len(xs)  # noqa: E731
    waited = lambda xs: sum(1 for x in xs if x > 0) / len(xs)  # noqa: E731
    # rho 0.6.  The Erlang C proof runs at least 2 M calls: at 1 M the 95 % interval of the mean wait is
    # ±1.6 % on one sample path and ±2.3 % on another (20 batches: its width itself varies ~16 %), so
    # "inside ±2 %" would be a coin flip of the seed; at 2 M it read ±1.1 % (2026-12-01).
    lam, mu, c = 1.8, 1.0, 3
    lam1 = 0.5
    want = mm1_response_quantile(lam1, mu, 0.95)
    if "mmc" in parts:
        mmc_proof(max(n, 2_000_000), lam, mu, c, mean, waited)
    if "mm1" in parts:
        sample = run_mmc(lam1, mu, 1, n, seed=12)
        iv = batch_interval(sample.responses, lambda xs: quantile(xs, 0.95), batches=20, warmup=5_000)
        ok = iv.contains(want) and iv.relative_error(want) < 0.02
        print(f"M/M/1 (lambda {lam1}, mu {mu}) response p95, provider level: {iv.estimate:.4f} ± "
              f"{iv.half_width:.4f}; analytic {want:.4f}; error {iv.relative_error(want):.2%}; "
              f"{'PASS' if ok else 'FAIL'}")
    if "stack" in parts:
        stack_proof(n, lam1, mu, want)


def mmc_proof(n: int, lam: float, mu: float, c: int, mean: Any, waited: Any) -> None:
    started = time.perf_counter()
    sample = run_mmc(lam, mu, c, n, seed=11)
    wall = time.perf_counter() - started
    for name, stat, want in (("mean wait", mean, mmc_mean_wait(lam, mu, c)),
                             ("P(wait)", waited, erlang_c(lam, mu, c))):
        iv = batch_interval(sample.waits, stat, batches=20, warmup=5_000)
        ok = iv.contains(want) and iv.relative_error(want) < 0.02 and iv.half_width / want < 0.02
        print(f"M/M/{c} (lambda {lam}, mu {mu}) {name}: {iv.estimate:.5f} ± {iv.half_width:.5f} (95 % CI, 20 batch "
              f"means, {n:,} calls); Erlang C {want:.5f}; error {iv.relative_error(want):.2%}; "
              f"{'PASS' if ok else 'FAIL'}  [{wall:.0f} s]")


def stack_proof(n: int, lam1: float, mu: float, want: float) -> None:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="llmdrill-bench-mm1-") as tmp:
        result = run_sim(mmc_stack_setup(lam1, mu, 1, duration_s=n / lam1, seed=13), Path(tmp))
        with (Path(tmp) / "requests.jsonl").open(encoding="utf-8") as fh:
            # (id, latency) only: a million full records would cost a gigabyte
            pairs = sorted((r["id"], r["latency_s"]) for r in map(json.loads, fh))
    latencies = [latency for _, latency in pairs]
    iv = batch_interval(latencies, lambda xs: quantile(xs, 0.95), batches=20, warmup=5_000)
    ok = iv.contains(want) and iv.relative_error(want) < 0.02
    print(f"M/M/1 response p95 through the whole stack ({result.requests:,} requests, "
          f"{time.perf_counter() - started:.0f} s): {iv.estimate:.4f} ± {iv.half_width:.4f}; analytic {want:.4f}; "
          f"error {iv.relative_error(want):.2%}; {'PASS' if ok else 'FAIL'}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--seconds", type=float, default=float(os.environ.get("BENCH_SIM_SECONDS", "1200")),
                   help="simulated seconds of the speed runs (default 1200: 60 000 requests)")
    p.add_argument("--hours", type=float, help="run the stretch target: this many hours of 50 req/s")
    p.add_argument("--proof", action="store_true", help="the queueing proofs over --requests requests")
    p.add_argument("--eval", type=float, metavar="SECONDS",
                   help="only the evaluation scaling: report of SECONDS and of 2 x SECONDS of simulated run")
    p.add_argument("--requests", type=int, default=1_000_000)
    p.add_argument("--parts", default="mmc,mm1,stack",
                   help="which proofs: mmc (Erlang C), mm1 (provider level), stack (M/M/1 through the gateway core)")
    args = p.parse_args(argv)
    if args.proof:
        proof(args.requests, args.parts.split(","))
    elif args.hours:
        stretch(args.hours)
    elif args.eval:
        evaluation(args.eval)
    else:
        speed(args.seconds)
        memory((args.seconds / 4, args.seconds, args.seconds * 4))
        evaluation(args.seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
