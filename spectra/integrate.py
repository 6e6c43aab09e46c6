"""The one VEGAS wrapper: train a map, freeze it, then integrate, histogram or sample.

Every process in darktmm hands this module a *batch integrand* on the unit hypercube:
``f(u) -> ndarray (n,)`` with ``u`` of shape ``(n, ndim)`` in [0, 1]^ndim. The process maps
``u`` to its physical variables itself and includes the Jacobian, so this module knows nothing
about physics (vegas: G. P. Lepage, J. Comput. Phys. 27 (1978) 192; arXiv:2009.05112).

What to use when
----------------
* :meth:`Vegas.integrate` - one number with its MC error (adapts first, then frozen iterations).
* :meth:`Vegas.histogram` - a spectrum: the map is trained on the total, frozen, and weighted
  samples are histogrammed with ``np.bincount`` (fast for hundreds of bins, unlike vegas'
  dict-valued integrands). Optionally a folding matrix turns fine bins into detector bins.
  Iterates until every significant bin reaches the requested relative precision.
* :meth:`Vegas.sample` - weighted points from the frozen map, for event generation.

Reproducibility: each :class:`Vegas` owns one ``numpy.random.Generator`` and passes
``generator.random`` to vegas as ``ran_array_generator``; nothing touches ``gvar.ranseed``.
Pitfalls avoided (``shared/design.md``): keyword arguments are passed in full on every call,
integrands are always ``vegas.lbatchintegrand``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import vegas

from darktmm.spectra.validate import ParameterError, check_range


@dataclass(frozen=True)
class IntegralResult:
    """A Monte Carlo estimate: mean, standard deviation, and the work that went into it.

    ``mean`` and ``sdev`` carry the units of the integrand times du (du dimensionless); ``neval`` is
    the total number of evaluations over ``nitn`` iterations; ``chi2_dof`` the vegas consistency
    chi^2 per degree of freedom of the iterations (Lepage, J. Comput. Phys. 27 (1978) 192).

    >>> r = IntegralResult(mean=2.0, sdev=0.01, neval=10_000, nitn=5)
    >>> r.rel
    0.005
    """

    mean: float
    sdev: float
    neval: int
    nitn: int
    chi2_dof: float = float("nan")

    @property
    def rel(self) -> float:
        """Relative MC error |sdev/mean| (dimensionless; inf for a zero mean)."""
        return abs(self.sdev / self.mean) if self.mean else float("inf")


@dataclass(frozen=True)
class BinnedResult:
    """Histogram of an integrand: per-bin contents and MC uncertainties (same units as f*du).

    Returned by :meth:`Vegas.histogram`; ``total`` is the :class:`IntegralResult` of the sum of
    the bins. MC errors are the stratified-sampling estimates of vegas (Lepage, J. Comput. Phys. 27
    (1978) 192; arXiv:2009.05112).

    >>> import numpy as np
    >>> values, errors = np.array([1.0, 0.5, 1e-5]), np.array([0.01, 0.02, 1e-5])
    >>> b = BinnedResult(values, errors, neval=100, nitn=1)
    >>> b.max_rel_error()  # the third bin is below 1e-3 of the largest and is not counted
    0.04
    """

    values: np.ndarray
    errors: np.ndarray
    neval: int
    nitn: int
    total: IntegralResult = field(default=None)

    def max_rel_error(self, significant: float = 1e-3) -> float:
        """Largest relative error over bins holding more than ``significant`` x the largest bin.

        Dimensionless. See :func:`max_rel_error`.
        """
        return _max_rel(self.values, self.errors, significant)


def max_rel_error(values, errors, significant: float = 1e-3, floor: float = 0.0) -> float:
    """Largest errors/values over bins above ``significant`` x max (and above ``floor``).

    The convergence criterion of :meth:`Vegas.histogram` (dimensionless; values and errors in the
    same units). Source: the histogram recipe of shared/design.md (train, freeze, histogram weighted
    samples).

    >>> max_rel_error([10.0, 1.0, 1e-6], [0.1, 0.05, 1.0])  # the last bin is insignificant
    0.05
    """
    return _max_rel(np.asarray(values), np.asarray(errors), significant, floor)


def _max_rel(values, errors, significant, floor=0.0):
    v = np.abs(values)
    if not np.any(v > 0):
        return 0.0
    sel = v > max(significant * v.max(), floor)
    if not np.any(sel):
        return 0.0
    return float(np.max(errors[sel] / v[sel]))


class Vegas:
    """A VEGAS integrator on the unit hypercube with one seeded random generator.

    Parameters
    ----------
    ndim: number of integration variables.
    seed: seed of the run's ``numpy.random.Generator`` (or pass ``rng``).
    neval: evaluations per iteration.
    ninc: increments per axis of the adaptive map.
    alpha: damping of the map adaptation (vegas default 0.5).

    Source: G. P. Lepage, J. Comput. Phys. 27 (1978) 192 and arXiv:2009.05112 (the vegas package);
    the reproducibility and batch-integrand rules of shared/design.md. The integrand maps the unit
    hypercube to its variables itself, so the result has the integrand's units.

    A product of normalised densities 3 u0^2 x 2 u1 integrates to 1 (small neval, fixed seed):

    >>> v = Vegas(2, seed=1, neval=2000)
    >>> r = v.integrate(lambda u: 3 * u[:, 0] ** 2 * 2 * u[:, 1], nitn=3, train_nitn=3)
    >>> round(r.mean, 2), abs(r.mean - 1.0) < 5 * r.sdev, v.trained
    (1.0, True, True)
    """

    def __init__(
        self,
        ndim: int,
        *,
        seed: int | None = 0,
        rng: np.random.Generator | None = None,
        neval: int = 20_000,
        ninc: int = 400,
        alpha: float = 0.5,
        beta: float = 0.75,
    ):
        if isinstance(ndim, bool) or not isinstance(ndim, (int, np.integer)) or ndim < 1:
            raise ParameterError(f"ndim = {ndim!r} must be an integer >= 1")
        self.ndim = int(ndim)
        self.rng = rng if rng is not None else np.random.default_rng(seed)
        self.neval = int(check_range("neval", neval, 10, None))
        self._integ = vegas.Integrator(
            vegas.AdaptiveMap(self.ndim * [[0.0, 1.0]], ninc=int(ninc)),
            alpha=alpha,
            beta=beta,
            ran_array_generator=self.rng.random,
        )
        self.trained = False

    # -- training -----------------------------------------------------------
    def train(self, f, *, nitn: int = 8, neval: int | None = None) -> IntegralResult:
        """Adapt the map (and the stratification) to ``f``; return the training estimate.

        >>> r = Vegas(1, seed=2, neval=1000).train(lambda u: 2 * u[:, 0], nitn=3)
        >>> r.nitn, round(r.mean, 1)
        (3, 1.0)
        """
        fb = vegas.lbatchintegrand(f)
        r = self._integ(fb, nitn=int(nitn), neval=int(neval or self.neval), adapt=True)
        self.trained = True
        return _to_result(r, self._integ.last_neval * int(nitn), int(nitn))

    # -- frozen use -----------------------------------------------------------
    def _batches(self, neval: int):  # frozen, adapted map
        """Frozen weighted batches ``(u, wgt)`` whose ``sum(wgt*f(u))`` estimates the integral."""
        self._integ.set(neval=int(neval), adapt=False)
        yield from self._integ.random_batch()

    def integrate(self, f, *, nitn: int = 5, neval: int | None = None, train_nitn: int = 8) -> IntegralResult:
        """Train (if not yet trained) and integrate with the frozen map.

        The map is frozen during these iterations, so the estimate is unbiased (see :class:`Vegas`).
        """
        if not self.trained:
            self.train(f, nitn=train_nitn, neval=neval)
        fb = vegas.lbatchintegrand(f)
        r = self._integ(fb, nitn=int(nitn), neval=int(neval or self.neval), adapt=False)
        return _to_result(r, self._integ.last_neval * int(nitn), int(nitn))

    def _binned_integrator(self, nbins: int, neval: int):
        """A frozen integrator whose axis-0 map is the identity, stratified exactly on the bins.

        Histogram bins are uniform in u_0. If VEGAS adapted u_0, the number of points landing in
        a bin would fluctuate (a binomial error of 1/sqrt(n) per bin, whatever the integrand).
        With the identity map on u_0 and exactly nbins strata along it, every bin receives a
        fixed number of points per iteration and its estimate is a stratified MC estimate; the
        other axes keep the map adapted to the total.
        """
        grids = [np.linspace(0.0, 1.0, nbins + 1)]
        trained = self._integ.map
        for d in range(1, self.ndim):
            grids.append(np.array([trained.grid[d, i] for i in range(int(trained.ninc[d]) + 1)]))
        per_bin = max(neval // nbins, 4)
        rest = max(int((per_bin / 2) ** (1.0 / max(self.ndim - 1, 1))), 1) if self.ndim > 1 else 1
        nst = [nbins] + [rest] * (self.ndim - 1)
        nhcube = nbins * rest ** (self.ndim - 1)
        integ = vegas.Integrator(
            vegas.AdaptiveMap(grids),
            nstrat=nst,
            neval=max(neval, 2 * nhcube),
            beta=0.0,
            adapt=False,
            max_nhcube=max(nhcube, 10),
            maxinc_axis=max(nbins, 1000),
            ran_array_generator=self.rng.random,
        )
        if int(np.asarray(integ.nstrat)[0]) != nbins:  # pragma: no cover - vegas refused the strata
            raise ParameterError(f"vegas could not stratify {nbins} bins (got {np.asarray(integ.nstrat)})")
        return integ, rest ** (self.ndim - 1)

    def _one_histogram(self, integ, f, nbins, fold):
        """One frozen iteration: fine-bin contents and their stratified variances.

        Each hypercube lies inside one bin, so a bin's variance is the sum over its hypercubes of
        [n_h sum w^2 - (sum w)^2]/(n_h - 1), the estimator vegas itself uses.
        """
        integ, per = integ
        fine = np.zeros(nbins)
        var = np.zeros(nbins)
        n = 0
        for u, wgt, hc in integ.random_batch(yield_hcube=True):
            w = wgt * f(u)
            hc = np.asarray(hc)
            h0, hcu = hc.min(), None
            loc = hc - h0
            s1 = np.bincount(loc, weights=w)
            s2 = np.bincount(loc, weights=w * w)
            nh = np.bincount(loc)
            ok = nh > 1
            v = np.zeros_like(s1)
            v[ok] = np.maximum(nh[ok] * s2[ok] - s1[ok] ** 2, 0.0) / (nh[ok] - 1)  # >= 0 despite roundoff
            idx = np.minimum((u[:, 0] * nbins).astype(np.int64), nbins - 1)
            cube_bin = np.zeros(len(s1), dtype=np.int64)
            cube_bin[loc] = idx
            fine += np.bincount(cube_bin, weights=s1, minlength=nbins)
            var += np.bincount(cube_bin, weights=v, minlength=nbins)
            n += len(w)
            del hcu
        if fold is None:
            return fine, var, n
        return fold @ fine, (fold**2) @ var, n

    def histogram(
        self,
        f,
        nbins: int,
        *,
        rtol: float = 1e-3,
        neval: int | None = None,
        fold: np.ndarray | None = None,
        min_itn: int = 2,
        max_itn: int = 400,
        significant: float = 1e-3,
        train_nitn: int = 8,
        floor: float = 0.0,
        check: np.ndarray | None = None,
    ) -> BinnedResult:
        """Histogram ``f`` in ``nbins`` bins uniform in ``u[:, 0]``.

        The map of the other axes is trained on the total of ``f``; then independent frozen,
        bin-stratified iterations (:meth:`_binned_integrator`) run until every significant bin
        (content > ``significant`` x max) of the (folded) histogram has a relative MC error
        <= ``rtol``, or ``max_itn`` is reached. Iterations are averaged; errors are the
        stratified variances of :meth:`_one_histogram`, propagated through ``fold``.

        ``fold`` is an optional (n_out, nbins) matrix applied to each iteration's fine histogram
        (a detector response, or a re-binning). Bins below the absolute ``floor`` are left out of
        the convergence test too (for a component that is a small part of a larger sum).
        ``check`` (a boolean mask over the output rows) restricts the convergence test to those
        rows; the others still get their values and errors.

        Four bins of the density 2 u_0 hold the exact contents 1/16, 3/16, 5/16, 7/16:

        >>> import numpy as np
        >>> h = Vegas(2, seed=1, neval=2000).histogram(lambda u: 2 * u[:, 0], 4, rtol=0.05, train_nitn=2)
        >>> exact = np.array([1, 3, 5, 7]) / 16
        >>> h.values.shape, bool(np.all(np.abs(h.values - exact) < 5 * h.errors)), h.max_rel_error() <= 0.05
        ((4,), True, True)
        """
        rtol = check_range("rtol", rtol, 0.0, 1.0, lo_open=True)
        nbins = int(check_range("nbins", nbins, 1, None))
        neval = int(neval or self.neval)
        if not self.trained and self.ndim > 1:
            # the map of axes >= 1 only has to be good on average: a modest training run suffices
            self.train(f, nitn=train_nitn, neval=min(neval, 20_000))
        integ = self._binned_integrator(nbins, neval)
        acc = acc_var = None
        tots, ntot, k = [], 0, 0
        while True:
            h, v, n = self._one_histogram(integ, f, nbins, fold)
            acc = h if acc is None else acc + h
            acc_var = v if acc_var is None else acc_var + v
            tots.append(float(np.sum(h)) if fold is None else float("nan"))
            ntot += n
            k += 1
            mean = acc / k
            err = np.sqrt(acc_var) / k
            sel = slice(None) if check is None else check
            if k >= min_itn and (_max_rel(mean[sel], err[sel], significant, floor) <= rtol or k >= max_itn):
                break
        tot_mean = float(np.sum(mean))
        tot_err = float(np.sqrt(np.sum(err**2)))
        total = IntegralResult(tot_mean, tot_err, ntot, k)
        return BinnedResult(mean, err, ntot, k, total)

    def sample(self, f, neval: int | None = None):
        """Yield frozen weighted batches ``(u, w)`` with ``sum(w)`` estimating the integral of f.

        The weights of one frozen pass add up to the integral (here of 2 u_0, i.e. 1):

        >>> v = Vegas(1, seed=1, neval=1000)
        >>> round(sum(float(w.sum()) for _, w in v.sample(lambda u: 2 * u[:, 0])), 2)
        1.0
        """
        if not self.trained:
            self.train(f)
        for u, wgt in self._batches(int(neval or self.neval)):
            yield u, wgt * f(u)

    def map_points(self, y: np.ndarray):
        """Push uniform points ``y`` (n, ndim) through the adapted map: ``(u, jac)``, jac = du/dy.

        Plain (unstratified) sampling of the frozen map, for event generation: with y uniform on
        [0, 1)^ndim, E[jac f(u)] is the integral of f. The caller owns the random numbers, so
        blocks can have any size and come from any Generator. The map is not changed.

        >>> import numpy as np
        >>> v = Vegas(1, seed=1, neval=1000)
        >>> _ = v.train(lambda u: 2 * u[:, 0], nitn=3)
        >>> u, jac = v.map_points(np.random.default_rng(0).random((5000, 1)))
        >>> u.shape, round(float(np.mean(jac * 2 * u[:, 0])), 2)
        ((5000, 1), 1.0)
        """
        y = np.ascontiguousarray(y, dtype=float)
        if y.ndim != 2 or y.shape[1] != self.ndim:
            raise ParameterError(f"y must have shape (n, {self.ndim}), got {y.shape}")
        u = np.empty_like(y)
        jac = np.empty(len(y))
        self.map.map(y, u, jac)
        return u, jac

    @property
    def map(self):
        """The adapted ``vegas.AdaptiveMap`` (pickle this, not the integrator).

        >>> Vegas(3, neval=100).map.dim
        3
        """
        return self._integ.map if self._integ is not None else self._frozen_map

    @classmethod
    def from_map(cls, amap) -> Vegas:
        """A frozen :class:`Vegas` around an adapted ``vegas.AdaptiveMap`` (e.g. unpickled), for
        :meth:`map_points` only: no training or integration (those raise).

        The map is used as it is: ``vegas.Integrator(map)`` would re-grid it to its own default
        number of increments, so no integrator is built (``shared/design.md``, Library pitfalls;
        Lepage, J. Comput. Phys. 27 (1978) 192).

        >>> import pickle
        >>> vg = Vegas(2, seed=1, neval=2000)
        >>> _ = vg.train(lambda u: 1 + u[:, 0] ** 2, nitn=3)
        >>> frozen = Vegas.from_map(pickle.loads(pickle.dumps(vg.map)))
        >>> y = np.random.default_rng(0).random((5, 2))
        >>> bool(np.array_equal(frozen.map_points(y)[1], vg.map_points(y)[1]))
        True
        """
        self = cls.__new__(cls)
        self.ndim = int(amap.dim)
        self.rng = None
        self.neval = 0
        self._integ = None
        self._frozen_map = amap
        self.trained = True
        return self


def map_fingerprint(amap) -> str:
    """sha256 (hex) of an adapted map's grid and increments: equal maps map points identically
    (the map, not the integrator, is what is pickled and compared: shared/design.md, Library
    pitfalls; vegas: Lepage, J. Comput. Phys. 27 (1978) 192).

    >>> vg = Vegas(1, seed=1, neval=1000)
    >>> len(map_fingerprint(vg.map))
    64
    """
    import hashlib

    h = hashlib.sha256()
    for name in ("grid", "inc"):
        h.update(np.ascontiguousarray(np.asarray(getattr(amap, name)), dtype=float).tobytes())
    h.update(np.asarray(amap.ninc, dtype=np.int64).tobytes())
    return h.hexdigest()


def _to_result(r, neval, nitn) -> IntegralResult:
    try:
        chi2 = float(r.chi2 / r.dof) if r.dof > 0 else float("nan")
    except Exception:
        chi2 = float("nan")
    return IntegralResult(float(r.mean), float(r.sdev), int(neval), int(nitn), chi2)
