"""Weighted histograms of the event observables, as ``hist.Hist`` with ``Weight`` storage.

One histogram per observable that has a range (``Observable.lo/hi``), a regular axis with under-
and overflow, filled chunk by chunk with the event weights (sum w and sum w^2 per bin). Entries
outside the range land in the flow bins, so nothing is lost: ``h.sum(flow=True)`` is the sum of
all weights. ``entries`` counts the fills (events), which is what ROOT's ``GetEntries`` shows.

>>> import numpy as np
>>> from darktmm.simulate.events import Observable
>>> class P:
...     observables = (Observable("T", "recoil T [GeV]", 0.0, 1.0, bins=4),)
>>> hs = Histograms(P())
>>> hs.fill({"weight": np.array([1.0, 2.0, 3.0]), "T": np.array([0.1, 0.6, 1.5])})
>>> h = hs.hists["T"]
>>> h.values().tolist(), float(h.sum(flow=True).value), hs.entries
([1.0, 0.0, 2.0, 0.0], 6.0, 3)
"""

from __future__ import annotations

import hist
import numpy as np


class Histograms:
    """``hist.Hist`` (Weight storage, flow bins) per observable of a process, filled per chunk.

    Bins in the observable's unit (GeV for energies), contents in the unit of the event weights; design:
    shared/design.md (``histograms.py``). sum w^2 gives the MC error of each bin:

    >>> from darktmm.simulate.events import Observable
    >>> class P:
    ...     observables = (Observable("E", "E [GeV]", 0.0, 2.0, bins=2),)
    >>> hs = Histograms(P())
    >>> hs.fill({"weight": np.array([1.0, 2.0, 2.0]), "E": np.array([0.5, 1.5, 1.8])})
    >>> hs.edges["E"].tolist(), hs.sumw["E"].tolist(), hs.sumw2["E"].tolist()
    ([0.0, 1.0, 2.0], [1.0, 4.0], [1.0, 8.0])
    """

    def __init__(self, process):
        self.specs = [o for o in process.observables if o.lo is not None and o.hi is not None and o.hi > o.lo]
        self.hists = {
            o.name: hist.Hist(
                hist.axis.Regular(
                    o.bins, o.lo, o.hi, name=o.name, label=o.title, underflow=True, overflow=True
                ),
                storage=hist.storage.Weight(),
            )
            for o in self.specs
        }
        self.entries = 0

    @property
    def edges(self) -> dict:
        """Bin edges per observable (the observable's unit)."""
        return {k: h.axes[0].edges for k, h in self.hists.items()}

    @property
    def sumw(self) -> dict:
        """Sum of weights per in-range bin."""
        return {k: h.values() for k, h in self.hists.items()}

    @property
    def sumw2(self) -> dict:
        """Sum of squared weights per in-range bin."""
        return {k: h.variances() for k, h in self.hists.items()}

    def fill(self, chunk):
        """Add one chunk (a mapping or awkward record array with ``weight`` and the observables)."""
        w = np.asarray(chunk["weight"], dtype=float)
        for o in self.specs:
            self.hists[o.name].fill(np.asarray(chunk[o.name], dtype=float), weight=w)
        self.entries += len(w)


__all__ = ["Histograms"]
