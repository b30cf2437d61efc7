"""Syllable trigram language model: loading the shipped .npz and vectorised scoring of (u, v, w) triples.

The decoder asks for thousands of trigram scores per page; doing them one by one in Python would be far
too slow, so :meth:`TrigramLM.score` takes arrays of ids and answers with three ``searchsorted`` calls
(ARPA-style back-off: trigram if stored, else back-off(u,v) + bigram(v,w), else back-off(v) + unigram(w)).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pipeline.restore.decode_kernel import LMTables
from pipeline.restore.lm_units import BOS, COMMA, EOS, NUM, UNK

_S16 = np.uint64(16)
_S32 = np.uint64(32)
_U16 = np.uint32(16)
# Beside the stored arrays: "1" if every trigram context is a stored bigram (see _contexts_are_bigrams).
_CONTEXTS_FILE = "trigram_contexts_are_bigrams.txt"
# Beside the stored arrays: the compiled decoder's trigram index (see _trigram_index).
_TRIGRAM_INDEX_FILES = ("tri_start.npy", "tri_w.npy")


def _touch(array: np.ndarray) -> None:
    """Read one value of every memory page of a mapped array, so that the whole table is in this process's
    memory from the start (shared with every other process mapping it) instead of growing into it as the
    decoder reaches new trigrams: a worker's memory then stays flat over a long run, as it did when the
    table was unpacked in every process."""
    step = max(1, 4096 // max(array.itemsize, 1))
    int(array[::step].sum())


def _read_only(array: np.ndarray) -> np.ndarray:
    """A read-only view: the compiled decoder then sees one array type whether the model was built in
    this process or mapped from the cache (each type would be compiled on its own, for half a minute)."""
    view = array.view()
    view.flags.writeable = False
    return view


def _dequantize(q: np.ndarray, lo: float) -> np.ndarray:
    """Levels back to log10 values in [lo, 0]; the level count follows the stored integer width."""
    top = np.float32(np.iinfo(q.dtype).max)
    return (q.astype(np.float32) / top) * np.float32(-lo) + np.float32(lo)


class TrigramLM:
    """Log10-probability scorer over syllable ids."""

    # The arrays a built model consists of (besides ``vocab``), as stored by :meth:`save` and mapped back
    # by :meth:`mapped`.
    ARRAYS = ("uni_logp", "uni_logbo", "bi_keys", "bi_logp", "bi_logbo", "tri_keys", "tri_logp")
    # The optional 4-gram table (see decode_kernel.fourgram_correction); a model without one has them empty.
    QUAD_ARRAYS = ("quad_keys", "quad_logp", "quad_ctx", "quad_ctx_logbo")

    def __init__(self, path: Path):
        with np.load(path) as z:
            logp_min, logb_min = (float(x) for x in z["quant"])
            self.vocab: list[str] = str(z["vocab"]).split("\n")
            self.uni_logp = _dequantize(z["uni_logp"], logp_min)
            self.uni_logbo = _dequantize(z["uni_logbo"], logb_min)
            self.bi_keys = z["bi_keys"].astype(np.uint64)
            self.bi_logp = _dequantize(z["bi_logp"], logp_min)
            self.bi_logbo = _dequantize(z["bi_logbo"], logb_min)
            ctx = z["tri_ctx"].astype(np.uint64)
            runs = z["tri_ctx_len"].astype(np.int64)
            self.tri_keys = np.repeat(ctx << _S16, runs) | z["tri_w"].astype(np.uint64)
            self.tri_logp = _dequantize(z["tri_logp"], logp_min)
            if "quad_w" in z.files:
                qctx = z["quad_ctx"].astype(np.uint64)
                qruns = z["quad_ctx_len"].astype(np.int64)
                self.quad_keys = np.repeat(qctx << _S16, qruns) | z["quad_w"].astype(np.uint64)
                self.quad_logp = _dequantize(z["quad_logp"], logp_min)
                self.quad_ctx = qctx
                self.quad_ctx_logbo = _dequantize(z["quad_ctx_logbo"], logb_min)
            else:
                self._no_fourgrams()
        self._index_vocab()

    def _no_fourgrams(self) -> None:
        self.quad_keys = self.quad_ctx = np.zeros(0, dtype=np.uint64)
        self.quad_logp = self.quad_ctx_logbo = np.zeros(0, dtype=np.float32)

    @property
    def has_fourgrams(self) -> bool:
        return len(self.quad_keys) > 0

    def save(self, folder: Path) -> None:
        """Store the built arrays as ``.npy`` files (and the vocabulary as text) in ``folder``."""
        (folder / "vocab.txt").write_text("\n".join(self.vocab), encoding="utf-8")
        for name in self.ARRAYS + self.QUAD_ARRAYS:
            np.save(folder / f"{name}.npy", getattr(self, name), allow_pickle=False)
        # The trigram-context check costs 0.2 s and the trigram index 0.1 s: done once here, not in every
        # process that maps the model.
        (folder / _CONTEXTS_FILE).write_text(str(int(self._contexts_are_bigrams())), encoding="utf-8")
        for name, array in zip(_TRIGRAM_INDEX_FILES, self._trigram_index(), strict=True):
            np.save(folder / name, array, allow_pickle=False)

    @classmethod
    def mapped(cls, folder: Path) -> TrigramLM:
        """The model stored by :meth:`save`, its arrays memory-mapped read-only.

        Nothing is unpacked or converted: the process starts at once, and every process mapping the same
        files shares one copy of them in memory.
        """
        lm = cls.__new__(cls)
        lm.vocab = (folder / "vocab.txt").read_text(encoding="utf-8").split("\n")
        for name in cls.ARRAYS:
            array = np.load(folder / f"{name}.npy", mmap_mode="r", allow_pickle=False)
            _touch(array)
            setattr(lm, name, array)
        lm._no_fourgrams()
        if all((folder / f"{name}.npy").is_file() for name in cls.QUAD_ARRAYS):
            for name in cls.QUAD_ARRAYS:
                array = np.load(folder / f"{name}.npy", mmap_mode="r", allow_pickle=False)
                _touch(array)
                setattr(lm, name, array)
        lm._index_vocab()
        flag = folder / _CONTEXTS_FILE
        if flag.is_file():
            lm._trigram_contexts_known = flag.read_text(encoding="utf-8").strip() == "1"
        if all((folder / name).is_file() for name in _TRIGRAM_INDEX_FILES):
            starts, words = (
                np.load(folder / name, mmap_mode="r", allow_pickle=False) for name in _TRIGRAM_INDEX_FILES
            )
            _touch(starts)
            _touch(words)
            lm._trigram_index_known = np.asarray(starts), np.asarray(words)
        return lm

    def _index_vocab(self) -> None:
        # Plain arrays over the same memory: indexing a memmap costs a Python-level wrapper per call.
        for name in self.ARRAYS + self.QUAD_ARRAYS:
            setattr(self, name, np.asarray(getattr(self, name)))
        self._trigram_contexts_known: bool | None = None
        self._trigram_index_known: tuple[np.ndarray, np.ndarray] | None = None
        self._tables: LMTables | None = None
        # The bigram keys (v << 16 | w < 2**32) as 32-bit integers, for the lookups (4.7 MB on the shipped
        # model).
        self._bi_keys32 = self.bi_keys.astype(np.uint32)
        self.index = {w: i for i, w in enumerate(self.vocab)}
        self.uni_list: list[float] = self.uni_logp.tolist()  # fast scalar access for candidate pruning
        self.bos = self.index[BOS]
        self.eos = self.index[EOS]
        self.unk = self.index[UNK]
        self.num = self.index[NUM]
        self.comma = self.index[COMMA]

    def id(self, unit: str) -> int:
        return self.index.get(unit, self.unk)

    @staticmethod
    def _find(keys: np.ndarray, query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        idx = np.searchsorted(keys, query)
        np.minimum(idx, len(keys) - 1, out=idx)
        return idx, keys[idx] == query

    def score(self, u: np.ndarray, v: np.ndarray, w: np.ndarray) -> np.ndarray:
        """log10 P(w | u, v) for aligned id arrays (any shape, broadcast)."""
        u, v, w = np.broadcast_arrays(
            np.asarray(u, dtype=np.uint64), np.asarray(v, dtype=np.uint64), np.asarray(w, dtype=np.uint64)
        )
        shape = u.shape
        # Distinct sorted queries: fewer lookups, and sorted searches stay in cache.
        keys, inverse = np.unique(u.ravel() << _S32 | v.ravel() << _S16 | w.ravel(), return_inverse=True)
        # Bigram keys (v << 16 | w) fit 32 bits: half the memory to sort and search.
        pairs = (keys & np.uint64(0xFFFFFFFF)).astype(np.uint32)
        bkeys, binv = np.unique(pairs, return_inverse=True)
        bi, bhit = self._find(self._bi_keys32, bkeys)
        bi, bhit = bi[binv], bhit[binv]
        ci, chit = self._find(self._bi_keys32, (keys >> _S16).astype(np.uint32))
        vi = (pairs >> _U16).astype(np.int64)
        wi = (pairs & np.uint32(0xFFFF)).astype(np.int64)
        out = np.where(bhit, self.bi_logp[bi], self.uni_logbo[vi] + self.uni_logp[wi])
        out += np.where(chit, self.bi_logbo[ci], np.float32(0.0))
        # Most triples are not stored (over 90 % of a page's): only those whose context is a stored bigram
        # can be, when every trigram context is one (true of a model built with min-bigram <= min-trigram).
        ask = np.flatnonzero(chit) if self._contexts_are_bigrams() else np.arange(keys.size)
        ti, thit = self._find(self.tri_keys, keys[ask])
        out[ask[thit]] = self.tri_logp[ti[thit]]
        return out[inverse].reshape(shape)

    def _contexts_are_bigrams(self) -> bool:
        """Whether the context (u, v) of every stored trigram is a stored bigram (checked once: 0.2 s on
        the shipped model, against some 8 ms saved on every page)."""
        if self._trigram_contexts_known is None:
            ctx = self.tri_keys >> _S16  # sorted, as the keys are
            first = np.ones(ctx.size, dtype=bool)
            first[1:] = ctx[1:] != ctx[:-1]
            distinct = ctx[first]
            self._trigram_contexts_known = bool(
                distinct.size == 0 or self._find(self.bi_keys, distinct)[1].all()
            )
        return self._trigram_contexts_known

    def _trigram_index(self) -> tuple[np.ndarray, np.ndarray]:
        """Where each stored bigram's trigrams (it as their context) start in ``tri_keys`` (one more entry at
        the end), and the third word of each trigram: the compiled decoder's trigram look-up (computed
        once: 0.1 s on the shipped model)."""
        if self._trigram_index_known is None:
            contexts = np.append(self.bi_keys << _S16, np.uint64(1) << np.uint64(48))
            starts = np.searchsorted(self.tri_keys, contexts).astype(np.int64)
            self._trigram_index_known = starts, (self.tri_keys & np.uint64(0xFFFF)).astype(np.uint16)
        return self._trigram_index_known

    def tables(self) -> LMTables:
        """The arrays as the compiled decoder reads them (:class:`LMTables`); built once."""
        if self._tables is None:
            words = np.arange(len(self.vocab) + 1, dtype=np.uint32) << _U16
            tri_start, tri_w = self._trigram_index()
            self._tables = LMTables(
                _read_only(self.uni_logp),
                _read_only(self.uni_logbo),
                _read_only(np.searchsorted(self._bi_keys32, words).astype(np.int64)),
                _read_only((self._bi_keys32 & np.uint32(0xFFFF)).astype(np.uint16)),
                _read_only(self.bi_logp),
                _read_only(self.bi_logbo),
                _read_only(tri_start),
                _read_only(tri_w),
                _read_only(self.tri_logp),
                _read_only(self.tri_keys),
                self._contexts_are_bigrams(),
                _read_only(self.quad_ctx),
                _read_only(self.quad_ctx_logbo),
                _read_only(self.quad_keys),
                _read_only(self.quad_logp),
            )
        return self._tables
