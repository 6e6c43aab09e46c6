"""Event sampling from a frozen VEGAS map: weighted and unweighted streams in fixed random blocks.

What to use
-----------
``generate(process, n, seed=S, unweighted=False, chunk=25_000)`` returns an :class:`EventRun`.
Iterating over it trains the VEGAS map, runs the pilot (unweighted mode) and then yields awkward
record arrays of at most ``chunk`` events each; after the loop ``run.summary()`` holds sigma,
its error, trials, accepted events, w_max, the unweighting efficiency and the fraction of
events above w_max. ``process`` is any :class:`darktmm.simulate.events.EventProcess` (the
three processes of darktmm live there); :mod:`darktmm.simulate.eventio` and
:mod:`darktmm.simulate.hepmc` write the chunks to files.

Sampling
--------
The map is trained on the integrand with the run's Generator (``numpy.random.default_rng(seed)``)
and frozen; a frozen VEGAS integral gives sigma_vegas. Events are points of the frozen map:
y uniform in [0, 1)^ndim, u = map(y), trial weight v = jac(y) f(u) (plain, unstratified
sampling, so E[v] = sigma; Lepage, J. Comput. Phys. 27 (1978) 192, arXiv:2009.05112).

* weighted: n trials, event weight v/n, so the weights sum to the MC estimate of sigma; trials
  outside phase space (v = 0) are not written. ``w_max`` is then the largest v and
  ``efficiency`` = <v>/max(v), the efficiency an unweighting would have;
* unweighted: w_max = wmax_factor x max(v) over a pilot run; each trial is accepted when
  r w_max < v (r uniform) - true accept-reject, nothing is resampled. Accepted events have
  weight max(1, v/w_max): events above w_max are kept with weight v/w_max > 1 and counted.
  sigma = sum(v)/trials over all trials of the run; the cross section of one unit of weight is
  sigma/sum(weights).

Random numbers: trials come in fixed blocks of ``block`` points. Block k of stream s draws from
``Generator(PCG64(SeedSequence(seed, spawn_key=(s, k))))`` (s = 0 events, 1 pilot), in a fixed
order (map points, accept-reject numbers, then the per-event numbers of the process). The output
chunk size only decides where the event stream is cut, so the same seed and card give the same
events for any chunk size, and a run of n events is the first n events of a longer run. Sums of
squares use numpy's pairwise ``sum`` (not BLAS ``dot``, whose last bits depend on the number of
BLAS threads), so sigma +- dsigma are the same in any process.

Memory: one chunk buffer (preallocated, ``chunk`` events) and the arrays of one block are held at
a time, whatever the number of events.

>>> from darktmm.simulate.events import NuElectronEvents
>>> run = generate(NuElectronEvents("pep", "sm"), 1000, seed=3, unweighted=True, train_nitn=3, pilot=2**16)
>>> sum(len(chunk) for chunk in run)
1000
>>> s = run.summary()
>>> s["mode"], s["sigma_unit"], s["events_written"]
('unweighted', 'cpd/100t', 1000)
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import awkward as ak
import numpy as np

from darktmm.spectra.integrate import Vegas
from darktmm.spectra.validate import ParameterError, check_range

#: Trials per block: the unit of the random-number streams (see the module docstring).
BLOCK = 1 << 16
#: Default output chunk [events].
CHUNK = 25_000
#: Random-number stream keys.
STREAM_EVENTS, STREAM_PILOT = 0, 1


def block_rng(seed: int, stream: int, k: int) -> np.random.Generator:
    """The Generator of block k of a stream (0 events, 1 pilot) of the run with this seed."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(int(seed), spawn_key=(stream, int(k)))))


@dataclass
class RunStats:
    """Counters of a run (updated while it streams)."""

    trials: int = 0
    accepted: int = 0  # accepted trials (unweighted) or non-zero weights (weighted)
    written: int = 0
    above_wmax: int = 0  # written events with v > w_max (unweighted)
    sum_v: float = 0.0  # sum of trial weights v over all trials (integrand units x scale)
    sum_v2: float = 0.0
    sum_weights: float = 0.0  # sum of written event weights
    sum_weights2: float = 0.0
    w_max: float = float("nan")  # unweighting threshold (unweighted runs)
    v_max: float = 0.0  # largest trial weight seen in the run
    pilot_trials: int = 0
    sigma_vegas: float = float("nan")
    sigma_vegas_err: float = float("nan")
    timing: dict = field(default_factory=dict)
    blocks: dict | None = None  # per-block sums (record_blocks=True): lists named as BLOCK_FIELDS

    def add(self, r: BlockResult, record: bool = False):
        """Add one block's sums (in stream order: the float sums are sequential, so adding the
        recorded per-block sums of consecutive ranges again in order gives the same bits)."""
        self.trials += r.trials
        self.accepted += r.accepted
        self.written += r.take
        self.above_wmax += r.above
        self.sum_v += r.sum_v
        self.sum_v2 += r.sum_v2
        self.sum_weights += r.sum_w
        self.sum_weights2 += r.sum_w2
        self.v_max = max(self.v_max, r.v_max)
        if record:
            if self.blocks is None:
                self.blocks = {f: [] for f in BLOCK_FIELDS}
            for f in BLOCK_FIELDS:
                self.blocks[f].append(getattr(r, f))


#: Per-block sums recorded in shard files (``RunStats.blocks``), see :class:`BlockResult`.
BLOCK_FIELDS = ("k", "trials", "accepted", "take", "above", "v_max", "sum_v", "sum_v2", "sum_w", "sum_w2")


@dataclass
class BlockResult:
    """The sums of one block of the event stream (and its built events while streaming).

    ``accepted``: accepted trials (unweighted) or non-zero weights among the used trials
    (weighted); ``take``: the block's events written; ``above``: written events with v > w_max.
    """

    k: int
    trials: int
    accepted: int
    take: int
    v_max: float
    sum_v: float
    sum_v2: float
    sum_w: float = 0.0
    sum_w2: float = 0.0
    above: int = 0
    weight: object = None
    built: object = None

    @classmethod
    def from_record(cls, blocks: dict, i: int) -> BlockResult:
        """Entry i of recorded per-block sums (a ``RunStats.blocks`` dict)."""
        return cls(**{f: blocks[f][i] for f in BLOCK_FIELDS})


class ChunkBuffer:
    """Preallocated columns for one output chunk."""

    def __init__(self, size, process):
        self.size, self.n = int(size), 0
        k = process.n_particles
        self.obs_dtypes = {o.name: o.dtype for o in process.observables}
        self.cols = {"event": np.empty(size, np.int64), "weight": np.empty(size)}
        self.cols.update({o: np.empty(size, d) for o, d in self.obs_dtypes.items()})
        self.part = {
            f: np.empty((size, k), np.int32 if f in ("pdgId", "status") else np.float64)
            for f in process.particle_fields
        }
        self.present = None
        self.pid = process.process_id

    def add(self, first_event, weight, built, start, stop):
        m = stop - start
        a, b = self.n, self.n + m
        self.cols["event"][a:b] = np.arange(first_event, first_event + m)
        self.cols["weight"][a:b] = weight[start:stop]
        for name in self.obs_dtypes:
            self.cols[name][a:b] = built.obs[name][start:stop]
        for f, arr in self.part.items():
            for j, col in enumerate(built.particles[f]):
                arr[a:b, j] = col[start:stop] if np.ndim(col) else col
        if built.present is not None:
            if self.present is None:
                self.present = np.ones((self.size, self.part["E"].shape[1]), bool)
            self.present[a:b] = built.present[start:stop]
        self.n = b

    def to_awkward(self) -> ak.Array:
        n = self.n
        k = self.part["E"].shape[1]
        if self.present is None:
            offsets = np.arange(0, (n + 1) * k, k, dtype=np.int64)
            flat = {f: a[:n].reshape(-1) for f, a in self.part.items()}
        else:
            pres = self.present[:n]
            offsets = np.concatenate([[0], np.cumsum(pres.sum(axis=1))]).astype(np.int64)
            flat = {f: a[:n][pres] for f, a in self.part.items()}
        rec = ak.contents.RecordArray([ak.contents.NumpyArray(v) for v in flat.values()], list(flat))
        particles = ak.contents.ListOffsetArray(ak.index.Index64(offsets), rec)
        cols = {"event": self.cols["event"][:n], "process_id": np.full(n, self.pid, np.int32)}
        cols["weight"] = self.cols["weight"][:n]
        for name in self.obs_dtypes:
            cols[name] = self.cols[name][:n]
        contents = [ak.contents.NumpyArray(v) for v in cols.values()] + [particles]
        return ak.Array(ak.contents.RecordArray(contents, [*cols, "Particle"], length=n))


class EventRun:
    """A streamed event sample of one process; iterate to get awkward chunks (see the module doc)."""

    def __init__(
        self,
        process,
        n: int,
        *,
        seed: int,
        unweighted: bool = False,
        chunk: int = CHUNK,
        block: int = BLOCK,
        pilot: int = 4 * BLOCK,
        train_nitn: int = 10,
        train_neval: int | None = None,
        integrate_nitn: int = 5,
        wmax_factor: float = 1.0,
        progress=None,
        frozen: dict | None = None,
        blocks: tuple[int, int] | None = None,
        left: int | None = None,
        first_event: int = 1,
        record_blocks: bool = False,
    ):
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n <= 0:
            raise ParameterError(f"number of events = {n!r} must be a whole number > 0")
        for name, v in (("chunk", chunk), ("block", block), ("pilot", pilot), ("train_nitn", train_nitn)):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise ParameterError(f"{name} = {v!r} must be a whole number >= 1")
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ParameterError(f"seed = {seed!r} must be a whole number >= 0")
        self.process = process
        self.n = int(n)
        self.seed = int(seed)
        self.unweighted = bool(unweighted)
        self.chunk = int(chunk)
        self.block = int(block)
        self.pilot = int(pilot)
        self.train_nitn = int(train_nitn)
        tn = process.train_neval if train_neval is None else train_neval
        self.train_neval = int(check_range("train_neval", tn, 100, None))
        self.integrate_nitn = int(check_range("integrate_nitn", integrate_nitn, 1, None))
        self.wmax_factor = check_range("wmax_factor", wmax_factor, 0.0, None, lo_open=True)
        self.progress = progress
        self.stats = RunStats()
        self.vegas: Vegas | None = None
        self._done = False
        # a block range of a longer run (simulate.shards): a frozen map and w_max, the blocks
        # [k0, k1), the events (unweighted) or trials (weighted) left from k0 on, the first
        # event number, and per-block sums recorded in the summary
        self.frozen = frozen
        self.blocks = None if blocks is None else (int(blocks[0]), int(blocks[1]))
        if self.blocks is not None and not 0 <= self.blocks[0] <= self.blocks[1]:
            raise ParameterError(f"blocks = {blocks!r} must be a range 0 <= k0 <= k1")
        self.left = self.n if left is None else int(left)
        self.first_event = int(first_event)
        self.record_blocks = bool(record_blocks)

    # -- preparation --------------------------------------------------------------------------
    def prepare(self):
        """Train and freeze the VEGAS map, integrate, and (unweighted) find w_max in a pilot run."""
        if self.vegas is not None:
            return
        if self.frozen is not None:
            self._load_frozen(self.frozen)
            return
        t0 = time.perf_counter()
        p = self.process
        rng = np.random.default_rng(self.seed)
        vg = Vegas(p.ndim, rng=rng, neval=self.train_neval)
        vg.train(p.integrand, nitn=self.train_nitn)
        r = vg.integrate(p.integrand, nitn=self.integrate_nitn)
        self.stats.sigma_vegas = r.mean * p.scale
        self.stats.sigma_vegas_err = r.sdev * p.scale
        self.vegas = vg
        if not (r.mean > 0):
            raise ParameterError(
                f"{p.name}: the cross section vanishes for these parameters; nothing to generate"
            )
        t1 = time.perf_counter()
        if self.unweighted:
            vmax, done, k = 0.0, 0, 0
            while done < self.pilot:
                v, _ = self._trials(block_rng(self.seed, STREAM_PILOT, k))
                vmax = max(vmax, float(v.max()))
                done += len(v)
                k += 1
            if not vmax > 0:
                raise ParameterError(
                    f"{p.name}: the pilot run of {done} trials found no non-zero weight; raise pilot"
                )
            self.stats.pilot_trials = done
            self.stats.w_max = vmax * self.wmax_factor
        self.stats.timing["train_s"] = t1 - t0
        self.stats.timing["pilot_s"] = time.perf_counter() - t1

    def freeze(self) -> dict:
        """What a block range of this run needs from :meth:`prepare` (the adapted map, pickled,
        w_max and the VEGAS integral); pass it as ``frozen=`` to an :class:`EventRun`."""
        import pickle

        self.prepare()
        st = self.stats
        return {
            "map": pickle.dumps(self.vegas.map),
            "w_max": st.w_max,
            "pilot_trials": st.pilot_trials,
            "sigma_vegas": st.sigma_vegas,
            "sigma_vegas_err": st.sigma_vegas_err,
        }

    def _load_frozen(self, frozen: dict):
        import pickle

        amap = frozen["map"]
        self.vegas = Vegas.from_map(pickle.loads(amap) if isinstance(amap, bytes) else amap)
        if self.vegas.ndim != self.process.ndim:
            raise ParameterError(
                f"frozen map has {self.vegas.ndim} dimensions, the process {self.process.ndim}"
            )
        st = self.stats
        st.w_max = float(frozen["w_max"])
        st.pilot_trials = int(frozen.get("pilot_trials", 0))
        st.sigma_vegas = float(frozen.get("sigma_vegas", float("nan")))
        st.sigma_vegas_err = float(frozen.get("sigma_vegas_err", float("nan")))

    def _trials(self, g):
        """One block of trials: (v, u) with v = scale jac f(u) for u = map(y), y ~ g."""
        y = g.random((self.block, self.process.ndim))
        u, jac = self.vegas.map_points(y)
        v = self.process.scale * jac * np.asarray(self.process.integrand(u), dtype=float)
        if not np.all(np.isfinite(v)) or np.any(v < 0):
            raise ParameterError(
                f"{self.process.name}: the integrand returned negative or non-finite weights"
            )
        return v, u

    # -- streaming ------------------------------------------------------------------------------
    def run_block(self, k: int, left: int, *, build: bool = True) -> BlockResult:
        """Block k of the event stream given ``left`` events (unweighted) or trials (weighted)
        still to make: its sums, and (``build``) the built events.

        Every accepted (unweighted) or non-zero (weighted) point of a block is built, and the
        first ``take`` of them are the block's events: the per-event random numbers do not depend
        on how many events the run still needs. ``build=False`` stops after the accept-reject
        step (the counting pass of :mod:`darktmm.simulate.shards`); the sums are the same.
        """
        g = block_rng(self.seed, STREAM_EVENTS, k)
        v, u = self._trials(g)
        w_max = self.stats.w_max
        if self.unweighted:
            trials = len(v)
            sum_v, sum_v2 = float(v.sum()), float((v * v).sum())
            keep = g.random(len(v)) * w_max < v
            accepted = int(np.count_nonzero(keep))
            take = min(left, accepted)
        else:
            # n trials in all; trials outside phase space (v = 0) are not written
            trials = min(left, len(v))
            sum_v, sum_v2 = float(v[:trials].sum()), float((v[:trials] * v[:trials]).sum())
            keep = v != 0
            take = accepted = int(np.count_nonzero(keep[:trials]))
        res = BlockResult(k, trials, accepted, take, float(v.max()), sum_v, sum_v2)
        u, v = u[keep], v[keep]
        weight = np.maximum(v / w_max, 1.0) if self.unweighted else v / self.n
        if take:
            res.sum_w = float(weight[:take].sum())
            res.sum_w2 = float((weight[:take] * weight[:take]).sum())
            if self.unweighted:
                res.above = int(np.count_nonzero(v[:take] > w_max))
            if build:
                res.weight, res.built = weight, self.process.build(u, g)
        return res

    def _blocks(self):
        """Yield (weights, built, take) per block with events, in order, updating the counters.

        The run streams blocks 0, 1, ... until n events (unweighted) or n trials (weighted) are
        made; a block range (``blocks=(k0, k1)``, a shard) streams exactly those blocks with
        ``left`` set to the events (or trials) still to make from block k0 on.
        """
        st = self.stats
        k, stop = (0, None) if self.blocks is None else self.blocks
        left = self.left
        while (left > 0) if stop is None else (k < stop):
            r = self.run_block(k, left)
            left -= r.take if self.unweighted else r.trials
            st.add(r, record=self.record_blocks)
            if r.take:
                yield r.weight, r.built, r.take
            r.weight = r.built = None
            k += 1

    def __iter__(self):
        if self._done:
            raise RuntimeError("an EventRun streams once; call generate() again for a new sample")
        self._done = True
        self.prepare()
        t0 = time.perf_counter()
        size = max(min(self.chunk, self.n, self.left), 1)
        buf = ChunkBuffer(size, self.process)
        first = self.first_event
        for weight, built, take in self._blocks():
            start = 0
            while start < take:
                if buf is None:
                    buf = ChunkBuffer(size, self.process)
                m = min(take - start, buf.size - buf.n)
                buf.add(first, weight, built, start, start + m)
                first += m
                start += m
                if buf.n == buf.size:
                    yield self._emit(buf)
                    buf = None
            del built, weight
        if buf is not None and buf.n:
            yield self._emit(buf)
        self.stats.timing["generate_s"] = time.perf_counter() - t0

    def _emit(self, buf):
        out = buf.to_awkward()
        if self.progress:
            self.progress(len(out))
        return out

    # -- results ------------------------------------------------------------------------------
    def summary(self) -> dict:
        """sigma +- dsigma (from the generated trials), trials, accepted, w_max, efficiency, ..."""
        st = self.stats
        N = max(st.trials, 1)
        mean = st.sum_v / N
        var = max(st.sum_v2 / N - mean * mean, 0.0)
        out = {
            "process": self.process.name,
            "description": self.process.description,
            "process_id": self.process.process_id,
            "mode": "unweighted" if self.unweighted else "weighted",
            "events_requested": self.n,
            "events_written": st.written,
            "trials": st.trials,
            "accepted": st.accepted,
            "sigma": mean,
            "sigma_err": math.sqrt(var / N),
            "sigma_unit": self.process.weight_unit,
            "sigma_vegas": st.sigma_vegas,
            "sigma_vegas_err": st.sigma_vegas_err,
            "sum_weights": st.sum_weights,
            "sum_weights2": st.sum_weights2,
            "seed": self.seed,
            "block": self.block,
            "chunk": self.chunk,
        }
        if self.unweighted:
            out.update(
                {
                    "w_max": st.w_max,
                    "wmax_factor": self.wmax_factor,
                    "pilot_trials": st.pilot_trials,
                    "efficiency": st.accepted / N,
                    "events_above_wmax": st.above_wmax,
                    "fraction_above_wmax": st.above_wmax / max(st.written, 1),
                    "sigma_per_unit_weight": mean / st.sum_weights if st.sum_weights > 0 else float("nan"),
                }
            )
        else:
            out.update(
                {
                    "w_max": st.v_max,
                    "efficiency": mean / st.v_max if st.v_max > 0 else 0.0,
                    "events_above_wmax": 0,
                    "fraction_above_wmax": 0.0,
                    "sigma_per_unit_weight": 1.0,
                }
            )
        out["v_max"] = st.v_max
        out["timing_s"] = dict(st.timing)
        if self.blocks is not None:
            out["blocks_range"] = list(self.blocks)
            out["first_event"] = self.first_event
        if st.blocks is not None:
            out["blocks"] = {f: list(v) for f, v in st.blocks.items()}
        return out


def generate(process, n: int, *, seed: int, unweighted: bool = False, chunk: int = CHUNK, **kw) -> EventRun:
    """An event sample of ``process``: iterate over the returned :class:`EventRun` for awkward
    chunks of at most ``chunk`` events; ``run.summary()`` afterwards. Keyword options: ``block``,
    ``pilot``, ``train_nitn``, ``train_neval``, ``integrate_nitn``, ``wmax_factor``, ``progress``
    (a callable receiving the number of events of each chunk)."""
    return EventRun(process, n, seed=seed, unweighted=unweighted, chunk=chunk, **kw)


__all__ = [
    "BLOCK",
    "BLOCK_FIELDS",
    "CHUNK",
    "BlockResult",
    "ChunkBuffer",
    "EventRun",
    "RunStats",
    "block_rng",
    "generate",
]
