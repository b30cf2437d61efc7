"""RestoreConfig: frozen, documented, the default is the shipped behaviour, and its fields really steer
restoration. The garbled line is written for these tests in the style of English-model OCR of a plan."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from pipeline.restore import RestoreConfig, engine, restore_text
from pipeline.restore import config as config_module
from pipeline.restore.model import model_loads, models

GARBLED = "Ngudi dan c6 trach nhiem thuc hien ké hoach cia UBND tinh"
TRUTH = "Người dân có trách nhiệm thực hiện kế hoạch của UBND tỉnh"

# The values the issue names, and the ones the channel and decoder were tuned with.
DOCUMENTED = {
    "lm_weight": 0.8,
    "temperature": 1.15,
    "max_candidates": 16,
    "keep_unknown_garbled_logp": -4.5,
    "keep_unknown_garble_factor": 4.0,
    "keep_unknown_min_p": 0.05,
    "garbled_doc_rate": 0.03,
    "max_token_len": 40,
    "letter_mix_weight": 0.5,
    "candidate_beam": 6.0,
    "oov_penalty": -3.5,
    "keep_number_p": 0.7,
    "max_segment_len": 60,
    "prune_keep": 4,
    "prune_margin": 3.0,
    "skeleton_candidates": 16,
    "letter_floor": -3.0,
    "channel_min_p": 0.01,
}


def _correct_words(text: str) -> int:
    return sum(a == b for a, b in zip(text.split(), TRUTH.split(), strict=True))


def test_config_is_frozen_and_hashable():
    cfg = RestoreConfig()
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.lm_weight = 1.0  # type: ignore[misc]
    assert hash(cfg) == hash(RestoreConfig())
    assert dataclasses.replace(cfg, lm_weight=0.5) != cfg


def test_default_config_matches_documented_values():
    cfg = RestoreConfig()
    for name, value in DOCUMENTED.items():
        assert getattr(cfg, name) == value, name
    assert cfg == config_module.DEFAULT_CONFIG


def test_every_field_has_a_comment_saying_why():
    """Each field line sits in a block of field lines introduced by a comment (no bare constants)."""
    lines = Path(config_module.__file__).read_text(encoding="utf-8").splitlines()
    field_line = re.compile(r"^    (\w+): (float|int) = ")
    names = set()
    for i, line in enumerate(lines):
        m = field_line.match(line)
        if not m:
            continue
        names.add(m.group(1))
        j = i - 1
        while field_line.match(lines[j]):
            j -= 1
        assert lines[j].strip().startswith("#"), f"{m.group(1)} has no comment"
    assert names == {f.name for f in dataclasses.fields(RestoreConfig)}


def test_old_module_globals_are_gone():
    from pipeline.restore import candidates, decode

    for module, name in [
        (engine, "LM_WEIGHT"),
        (engine, "TEMPERATURE"),
        (engine, "MAX_CANDIDATES"),
        (engine, "BEAM"),
        (decode, "MAX_LEN"),
        (decode, "PRUNE_K"),
        (decode, "K_MAX"),
        (candidates, "strip_word"),
    ]:
        assert not hasattr(module, name), name


def test_invalid_config_is_refused():
    with pytest.raises(ValueError):
        RestoreConfig(max_candidates=0)
    with pytest.raises(ValueError):
        RestoreConfig(temperature=0.0)
    with pytest.raises(ValueError):
        RestoreConfig(letter_mix_weight=1.5)
    with pytest.raises(TypeError):
        restore_text(GARBLED, config={"lm_weight": 0.8})  # type: ignore[arg-type]


def test_default_config_restores_the_garbled_line():
    assert restore_text(GARBLED).text == TRUTH
    assert restore_text(GARBLED, config=RestoreConfig()).text == TRUTH


@pytest.mark.parametrize("changed", [{"lm_weight": 0.0}, {"max_candidates": 1}])
def test_weaker_config_gives_a_worse_restoration(changed):
    base = restore_text(GARBLED).text
    worse = restore_text(GARBLED, config=RestoreConfig(**changed)).text
    assert worse != base
    assert _correct_words(worse) < _correct_words(base)


def test_temperature_changes_confidence_not_the_text():
    """The temperature scales the whole path score, so the best path stays; posteriors flatten."""
    base = restore_text(GARBLED)
    hot = restore_text(GARBLED, config=RestoreConfig(temperature=3.0))
    assert hot.text == base.text
    assert sum(t.confidence for t in hot.tokens) < sum(t.confidence for t in base.tokens)


def test_garble_threshold_decides_whether_digits_are_letters():
    """Above the garble threshold nothing counts as a garbled page: "c6" is then left alone."""
    lenient = restore_text(GARBLED, config=RestoreConfig(garbled_doc_rate=0.9)).text
    assert "c6" in lenient.split()


def test_models_load_once_per_process():
    for cfg in (RestoreConfig(), RestoreConfig(lm_weight=0.5), RestoreConfig(max_candidates=4)):
        restore_text(GARBLED, config=cfg)
    restore_text("to chuc thuc hien ke hoach")
    assert model_loads() == 1
    assert engine.models() is models()


def test_letter_model_has_a_public_accessor():
    m = models()
    score = m.letter_logp("c6", "có", RestoreConfig().letter_floor)
    assert score is None or score <= 0.0
    assert m.letter_logp("c6", "có", RestoreConfig().letter_floor) == score  # cached, same answer


def test_the_lm_weighs_more_on_garbled_pages_only():
    """``garbled_lm_scale`` reaches the decoder of a garbled page and leaves a clean page's alone."""
    base = RestoreConfig()
    assert config_module.decoding_config(base, False) == base
    garbled = config_module.decoding_config(base, True)
    assert garbled.lm_weight == pytest.approx(base.lm_weight * base.garbled_lm_scale)
    assert config_module.decoding_config(base, True) is garbled
    flat = RestoreConfig(garbled_lm_scale=0.01)
    stripped = "to chuc thuc hien ke hoach cua uy ban nhan dan tinh"
    assert [t.confidence for t in restore_text(stripped, config=flat).tokens] == [
        t.confidence for t in restore_text(stripped).tokens
    ]
    assert [t.confidence for t in restore_text(GARBLED, config=flat).tokens] != [
        t.confidence for t in restore_text(GARBLED).tokens
    ]
