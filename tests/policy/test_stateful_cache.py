"""MemoryCache, cache_key and the guarded SimilarityIndex as a hypothesis state machine.

Prompts come from one appointment template whose slots are exactly what the guard
must protect (day word, time, number, proper name), plus filler that it must not
care about; the model knows each prompt's slots and checks every similarity hit.
"""

from __future__ import annotations

from collections import OrderedDict

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from gateway.policy.cache_policy import MemoryCache, cache_key
from gateway.policy.similarity import SimilarityIndex

# -- exact cache -----------------------------------------------------------------------------------

BASES = ("cita con el dentista", "resume este texto", "what is the weather")
MODELS = ("qwen-plus", "claude-sonnet")


def _spelling(base: str, variant: int) -> str:
    # Spellings that normalise to the same prompt: case and whitespace only.
    return (base, base.upper(), f"  {base}  ", base.replace(" ", "   "), base.title())[variant]


requests = st.tuples(
    st.sampled_from(MODELS),
    st.sampled_from(BASES),
    st.integers(0, 4),
    st.sampled_from([0, 0.0, 0.7]),
)

# -- similarity --------------------------------------------------------------------------------------

FILLERS = ("", "hola, ", "por favor ", "quiero ")
DAYS = ("hoy", "mañana", "el lunes", "el martes", "pasado mañana")
TIMES = ("10am", "11am", "10:30", "9 pm", "las diez", "las once")
NAMES = ("Pérez", "Perez", "López")
COUNTS = ("1", "2", "dos", "tres")
TAILS = ("", ".", " gracias", "!")


def _prompt(slots: tuple[int, int, int, int, int, int]) -> str:
    filler, day, time, names, count, tail = slots
    # Two doctors: swapping them keeps every word but changes who is first, so only the
    # title rule ("a capital after Dr. is a name") tells the two prompts apart.
    first, second = NAMES[names // len(NAMES)], NAMES[names % len(NAMES)]
    return (f"{FILLERS[filler]}cita {DAYS[day]} a las {TIMES[time]} con Dr. {first} y Dr. {second} "
            f"para {COUNTS[count]} personas{TAILS[tail]}")


def _sensitive(slots: tuple[int, int, int, int, int, int]) -> tuple[int, int, int, int]:
    return slots[1:5]


prompt_slots = st.tuples(
    st.integers(0, len(FILLERS) - 1),
    st.integers(0, len(DAYS) - 1),
    st.integers(0, len(TIMES) - 1),
    st.integers(0, len(NAMES) ** 2 - 1),
    st.integers(0, len(COUNTS) - 1),
    st.integers(0, len(TAILS) - 1),
)


class CacheMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.now = 0.0
        self.cache = MemoryCache(3)
        # Model of the LRU: key -> (value, expires_at), least recently used first.
        self.model: OrderedDict[str, tuple[str, float]] = OrderedDict()
        self.identity: dict[str, tuple[str, str, float]] = {}
        self.keys: dict[tuple[str, str, float], str] = {}
        self.index = SimilarityIndex(4)
        self.key_slots: dict[str, tuple[int, int, int, int, int, int]] = {}
        self.indexed: OrderedDict[str, str] = OrderedDict()  # prompt -> key, LRU order
        self.counter = 0

    @initialize(max_entries=st.integers(1, 5), index_size=st.integers(1, 6))
    def setup(self, max_entries: int, index_size: int) -> None:
        self.cache = MemoryCache(max_entries)
        self.index = SimilarityIndex(index_size)

    def _key(self, req: tuple[str, str, int, float]) -> str:
        model, base, variant, temperature = req
        key = cache_key(model, _spelling(base, variant), {"temperature": temperature, "max_tokens": 50})
        ident = (model, base, float(temperature))
        # Same request (up to spelling and 0 vs 0.0) <=> same key.
        assert self.identity.setdefault(key, ident) == ident, (key, ident, self.identity[key])
        assert self.keys.setdefault(ident, key) == key, ("one request, two keys", req)
        return key

    @rule(dt=st.floats(0.0, 30.0))
    def advance(self, dt: float) -> None:
        self.now += dt

    @rule(pick=st.integers(0, 10), offset=st.sampled_from([-1e-6, 0.0, 1e-6, 0.5]))
    def advance_to_expiry(self, pick: int, offset: float) -> None:
        # Uniform advances almost never land on an expiry instant, where >= vs > matters.
        edges = sorted((e + offset, k) for k, (_, e) in self.model.items() if e + offset > self.now)
        if edges:
            self.now, key = edges[pick % len(edges)]
            self._check_get(key)

    @rule(req=requests, ttl=st.floats(0.5, 40.0))
    def set(self, req: tuple[str, str, int, float], ttl: float) -> None:
        key = self._key(req)
        self.counter += 1
        value = f"answer-{self.counter}"
        self.cache.set(key, value, self.now, ttl)
        self.model[key] = (value, self.now + ttl)
        self.model.move_to_end(key)
        while len(self.model) > self.cache.max_entries:
            self.model.popitem(last=False)

    @rule(req=requests)
    def get(self, req: tuple[str, str, int, float]) -> None:
        self._check_get(self._key(req))

    @rule(pick=st.integers(0, 10))
    def get_stored(self, pick: int) -> None:
        # Drawn keys rarely hit what is stored: read back a stored one on purpose.
        if self.model:
            self._check_get(list(self.model)[pick % len(self.model)])

    def _check_get(self, key: str) -> None:
        got = self.cache.get(key, self.now)
        entry = self.model.get(key)
        if entry is None:
            assert got is None, (key, got)
            return
        value, expires_at = entry
        if self.now >= expires_at:
            assert got is None, ("expired entry served", key, got, self.now, expires_at)
            del self.model[key]
        else:
            assert got == value, (key, got, value)
            self.model.move_to_end(key)

    @invariant()
    def bounded(self) -> None:
        assert len(self.cache) <= self.cache.max_entries
        assert len(self.cache) == len(self.model)

    # -- similarity --------------------------------------------------------------------------------

    @rule(slots=prompt_slots)
    def index_add(self, slots: tuple[int, int, int, int, int, int]) -> None:
        prompt = _prompt(slots)
        key = cache_key("qwen-plus", prompt, {})
        self.index.add(prompt, key)
        self.key_slots[key] = slots
        self.indexed[prompt] = key
        self.indexed.move_to_end(prompt)
        while len(self.indexed) > self.index.max_entries:
            self.indexed.popitem(last=False)

    @rule(slots=prompt_slots, threshold=st.sampled_from([0.3, 0.5, 0.7, 0.9, 1.0]))
    def index_find(self, slots: tuple[int, int, int, int, int, int], threshold: float) -> None:
        prompt = _prompt(slots)
        found = self.index.find(prompt, threshold)
        if prompt in self.indexed:
            # Identical prompts pass every guard and score 1.0: a miss here is a lost hit.
            assert found == self.indexed[prompt], (prompt, found)
        if found is not None:
            assert found in self.indexed.values(), ("evicted or unknown key returned", found)
            assert _sensitive(self.key_slots[found]) == _sensitive(slots), (
                "guard let through a different appointment",
                prompt,
                _prompt(self.key_slots[found]),
            )

    @rule(pick=st.integers(0, 10), slot=st.integers(0, 5), value=st.integers(0, 8))
    def index_find_near_miss(self, pick: int, slot: int, value: int) -> None:
        # The hazard is a neighbour of a stored prompt: change one slot (or swap the doctors).
        if not self.indexed:
            return
        stored = self.key_slots[list(self.indexed.values())[pick % len(self.indexed)]]
        sizes = (len(FILLERS), len(DAYS), len(TIMES), len(NAMES) ** 2, len(COUNTS), len(TAILS))
        slots = list(stored)
        if slot == 3 and value % 2 == 0:
            first, second = divmod(stored[3], len(NAMES))
            slots[3] = second * len(NAMES) + first
        else:
            slots[slot] = value % sizes[slot]
        a, b, c, d, e, f = slots
        self.index_find((a, b, c, d, e, f), 0.5)

    @invariant()
    def index_bounded(self) -> None:
        assert len(self.index) == len(self.indexed) <= self.index.max_entries


TestCacheMachine = CacheMachine.TestCase
TestCacheMachine.settings = settings(
    max_examples=250,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
