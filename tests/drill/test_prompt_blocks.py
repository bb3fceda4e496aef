"""``choose_prompt`` reads its pick from a block drawn side by side: the keyed draw of each id, any id."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from units.keyed_random import STREAM_PROMPT, keyed_below
from workload.prompts import Prompt, choose_prompt


@settings(max_examples=60, deadline=None)
@given(st.integers(-(2**65), 2**65), st.integers(1, 90), st.lists(st.integers(-600, 5000), max_size=40))
def test_choose_prompt_is_the_keyed_draw_across_blocks(seed: int, count: int, ids: list[int]) -> None:
    prompts = tuple(Prompt(f"p{i}", f"prompt {i}") for i in range(count))
    for rid in ids:
        assert choose_prompt(prompts, seed, rid) is prompts[keyed_below(seed, STREAM_PROMPT, rid, count)]
