"""Where darktmm finds its public data files, and how it fetches them.

Search order (first hit wins):

1. an explicit ``data_dir`` argument (the CLI's ``--data-dir``);
2. the ``DARKTMM_DATA`` environment variable;
3. the per-user cache ``platformdirs.user_cache_dir("darktmm")`` (where ``darktmm data fetch``
   puts them).

The files are never copied into the repository. :data:`REGISTRY` lists every file with its
sha256 and its public origin (``shared/data/PROVENANCE.md``); :func:`fetch` downloads missing
files with pooch and checks the hash.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

ENV_VAR = "DARKTMM_DATA"


class DataError(RuntimeError):
    """A data file or directory that is missing, unreadable or corrupt.

    Source: the data rules of shared/data/PROVENANCE.md (files read at run time, never copied into
    the repository). A ``RuntimeError``; the CLI prints it as one line.

    >>> path("no/such/file.txt")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    ...
    darktmm.detectors.data.DataError: unknown data file 'no/such/file.txt'
    """


@dataclass(frozen=True)
class DataFile:
    """One public data file: relative path, sha256 and origin URL.

    Source: shared/data/PROVENANCE.md (origin and checksum of every file); all of them are in
    :data:`REGISTRY`.

    >>> f = REGISTRY["babar/BaBar_Lees2017lec.lmt"]
    >>> f.citation.split(",")[0], len(f.sha256)
    ('BaBar', 64)
    """

    path: str
    sha256: str
    url: str
    citation: str


_NEWTRINOS = "https://raw.githubusercontent.com/Newtrinos-org/Newtrinos.jl/{commit}/src/{path}"
_SNUDD = (
    "https://raw.githubusercontent.com/SNuDD/SNuDD/11622ded104994959a649d85e263c2d9f933ea74/snudd/data/{path}"
)
_DARKCAST = (
    "https://raw.githubusercontent.com/micha-a-schmidt/darkcast/"
    "d627d13c834ec6e606e5e77adcb843a01b7edd81/limits/{path}"
)
_XENONNT = (
    "https://raw.githubusercontent.com/yuanguanwen/Chameleon_Detection/"
    "8394853ccd62014c514ba8aa117675b6376b0845/XENONnT/{path}"
)
_NA64 = (
    "https://raw.githubusercontent.com/ESPP2026-PPG/Quasi-elastic-DM/"
    "4321816d508b7b6ad0188ac39f929becda5070cc/Na64/{path}"
)
_XE = "XENONnT, PRL 129 (2022) 161805, arXiv:2207.11330 (collaboration's released data)"
_C1 = "6ae80a1a72cd32fe077fff5a3d7a6a19fca6274b"
_C2 = "10fbd1affdb0c59e6d7f60df93465844a70d34ac"
_C3 = "9b8f5de64ad091637752d46be82baa6dcfc29849"
_BX2 = "experiments/borexino/borexino_phase2_spectrum/data/"
_BX3 = "experiments/borexino/borexino_phase3/data/"
_PH2 = "Borexino, PRD 100 (2019) 082004, arXiv:1707.09279, Fig. 6a; Nature 562 (2018) 505, Fig. 2a"
_PH3 = "Borexino open data, arXiv:2005.12829"
_SSM = "Bahcall tabulations via SNuDD; production zones from arXiv:1302.2791"


def _nt(commit: str, sub: str, name: str) -> str:
    return _NEWTRINOS.format(commit=commit, path=sub + name)


REGISTRY: dict[str, DataFile] = {
    f.path: f
    for f in [
        DataFile(
            "borexino/phase2_spectrum/phase2_fig6a_components.csv",
            "6e1e0c7d5f18f2de2a1ebf7a536ced0a37acf58e10066333fc7c027ad0ddced5",
            _nt(_C1, _BX2, "phase2_fig6a_components.csv"),
            _PH2,
        ),
        DataFile(
            "borexino/phase2_spectrum/calibration.txt",
            "24b21d6d77b20431d379dcda82755e61d3ce64f6c4e358f0fb3dd4e062cabb96",
            _nt(_C1, _BX2, "calibration.txt"),
            "Newtrinos calibrate.jl fit to Borexino Phase II",
        ),
        *[
            DataFile(f"borexino/phase3/{n}", h, _nt(c, _BX3, n), _PH3)
            for n, h, c in [
                (
                    "Be7_pdfkeV__2.txt",
                    "678e400b16053a25e10f7796b4d2ab9da511c36e8784ab7a146e468eb0d07dd9",
                    _C2,
                ),
                (
                    "Bi210_pdfkeV__3.txt",
                    "317969903faedfb8c3453d9db0e1649b19007f1501c2a64be9570114399562d0",
                    _C2,
                ),
                (
                    "C11_pdfkeV__5.txt",
                    "0d533bafb9198f8a4917edea9aa07a95a0ffcba1dff314c82b3b782ad60d67fb",
                    _C1,
                ),
                (
                    "CNO_pdfkeV__7.txt",
                    "8f952e72568e15a6bd0bd7430cdcbfa2e8b3e7cff828e5306aafc43742f9885d",
                    _C2,
                ),
                (
                    "Ext_Bi214_pdfkeV__12.txt",
                    "71c4a1cce8bb00483d87d69522996ed70b0b46a2b228382d051efc395048553f",
                    _C1,
                ),
                (
                    "Ext_K40_pdfkeV__13.txt",
                    "0438aa32ca88ceaf01822ef7e9f76c887da71cd50a92d9bf3151c8de69e13e2e",
                    _C2,
                ),
                (
                    "Ext_Tl208_pdfkeV__14.txt",
                    "0bc16514e9c714073631fca445f3c24855fe72e78b2aeafe2bf65c79357fe925",
                    _C2,
                ),
                (
                    "Kr85_pdfkeV__9.txt",
                    "8164482e3d0c877190f555a55abe4c37cc64cf73541ec344664d4882fd62c122",
                    _C2,
                ),
                (
                    "pep_pdfkeV__15.txt",
                    "87e887ac79810b060d58dc709165bad9a30731bc67d7623d45c23c3a46c155aa",
                    _C1,
                ),
                (
                    "pp_pdfkeV__16.txt",
                    "21018e8067a452a51dd4b8d7275e00f322d61c5d43e33658ef8cc58a63119c5e",
                    _C1,
                ),
                (
                    "PRL2022_SubtractedSpectrumFit_Data.txt",
                    "d89ada65d3d4eb41d56bc841210c7d7d2d1c8da9c5e765b4ba5c8cd5ad2a3f27",
                    _C1,
                ),
            ]
        ],
        DataFile(
            "solar/newtrinos/b23_GS98_structure.csv",
            "9f63260ba94db8239755a9c3ec4567491fa486c7fe23111a76ba7b2481f4fb47",
            _nt(_C3, "physics/solar/", "b23_GS98_structure.csv"),
            "B23 SSM, zenodo 10174170",
        ),
        DataFile(
            "solar/newtrinos/xsec_ga71.csv",
            "e79906b4909f06fca4c897e8a862934fe2831ef577d74890f96a0d109e243767",
            _nt(_C1, "physics/solar/", "xsec_ga71.csv"),
            "Bahcall, Ga-71 capture cross sections",
        ),
        *[
            DataFile(
                f"solar/snudd/flux_distributions/{n}", h, _SNUDD.format(path="flux_distributions/" + n), _SSM
            )
            for n, h in [
                ("13N_dist.txt", "765429ff2f3b0ccc68b6e17d7c5eb97577520d20b68658ad057f7810b6654809"),
                ("15O_dist.txt", "78421de88e317eb0047f6438f2277d5d18f962df1f9fe84094aa21f127e8601b"),
                ("17F_dist.txt", "82d48a1e79dd6836c6d574f04acefbf544e946139093f2dc75bf9c1be346371a"),
                ("7Be_dist.txt", "ca7ebd7fa59afef8fb014361d9831cff0873a10d052c22ee1e4e2175767d48db"),
                ("8B_dist.txt", "acd75b7ab2a20461f7b1362e0444827db86272c503a4a314327f913400efc8b9"),
                ("hep_dist.txt", "6a5861155f55a8b8cdea2381efe4baa856554e24763b133f27deed051628ca19"),
                ("pep_dist.txt", "5ec4b13a85fc0d2864128d4592c4aa3965007a03c66658eb6759627027563b62"),
                ("pp_dist.txt", "9f07b6a345466e4791898da1edc4fbf62bdd8c3540d9199abb4f4a022fcab0f1"),
            ]
        ],
        *[
            DataFile(f"solar/snudd/nu_flux/{n}", h, _SNUDD.format(path="nu_flux/" + n), _SSM)
            for n, h in [
                ("15O_neutrino.txt", "4e9bef0bc0ab2b1722ce797d7c13c096cfd992912f8ddaa777238ac9cfa07ab7"),
                ("17F_neutrino.txt", "979e143d60d865cae4ccbc3f2c24ae22551f6889cefccc99a9d33e542c54e33d"),
                ("7Be_3843_neutrino.txt", "9db423ac3f4aa9d083d4359c7c133b9c51a54cc58cfdf7cf239b1da37eab556c"),
                ("7Be_8613_neutrino.txt", "506db09026f440852183347666714e5e829c9edac70bb94a2d1c095659dceb29"),
                ("B8_neutrino_flux.txt", "3d5836cbad7486ea3e6d4ff3d0c5c04d57efa90b2e6a39be97d594eb9b0fe864"),
                ("N13_neutrino.txt", "1be627a8eaa592dce3c404bbbc1a37a42365fcd8d4671da1625df8e273d3934f"),
                ("hep_neutrino.txt", "9ae48fe4c5f03fe53d08d49e243170b417d852b0239a788d928aef936d47d2b2"),
                ("pep_neutrino.txt", "41fe8e6f38c55184bae3cc3bbceb0a6be9a6e44f109c9ce5169c0ec7dcee9804"),
                ("pp_neutrino.txt", "93f57e80099c823ee5f2b76911e9f6b88347494805b9beb6f9311374cc937ee6"),
            ]
        ],
        DataFile(
            "babar/BaBar_Lees2017lec.lmt",
            "98a74649b9e276aab98fcebe2fea5dffd418539de846468c5426eaad712d9441",
            _DARKCAST.format(path="BaBar_Lees2017lec.lmt"),
            "BaBar, PRL 119 (2017) 131804, arXiv:1702.03327, Fig. 5 (darkcast digitisation)",
        ),
        *[
            DataFile(f"xenonnt/{n}", h, _XENONNT.format(path=n), _XE)
            for n, h in [
                ("readme.txt", "6ac85605e3cbf25e1be3e6136aae9a051ccb0f72017c7a7a11a9ae219744d0d0"),
                (
                    "data_unbinned_1to30kev.txt",
                    "977795914cc09d3b46a19e2fa16dd0f1f6726a9040af954bb3b54ba89bcbb454",
                ),
                ("bkg_model.txt", "61e086ddff84ce21a77740e65c973cecfd4ed404d7ac99019eceb88cf8b3f389"),
                ("efficiency.txt", "a8fae34fe73e7512b8137eb34e174f3a36d530186fce2e9cb8edd9cf9f60f578"),
                ("data_bin30.txt", "5604b7d787ed7db6daceef62af2dc2b6ba8ab126ab79f2819d06784246052433"),
            ]
        ],
        DataFile(
            "na64/NA64e-_2022.csv",
            "b68114f97e493a333bb79de885b1d4b331e81c296eab0536d63a59cb95207340",
            _NA64.format(path="NA64e-_2022.csv"),
            "NA64, PRL 131 (2023) 161801, arXiv:2307.02404 (ESPP 2026 input curve, BR_inv = 1)",
        ),
    ]
}


def cache_dir() -> Path:
    """The per-user cache directory that ``darktmm data fetch`` fills.

    Source: the search order of this module (platformdirs user cache; shared/design.md, data.py).

    >>> "darktmm" in str(cache_dir())
    True
    """
    import platformdirs

    return Path(platformdirs.user_cache_dir("darktmm"))


def candidate_dirs(data_dir: str | os.PathLike | None = None) -> list[tuple[str, Path]]:
    """The directories searched, in order, with the reason each is searched.

    Source: the search order in the module docstring (shared/design.md, data.py).

    >>> from pathlib import Path
    >>> dirs = candidate_dirs("/some/dir")
    >>> dirs[0] == ("--data-dir", Path("/some/dir")), dirs[-1][0]
    (True, 'user cache')
    """
    out: list[tuple[str, Path]] = []
    if data_dir is not None:
        out.append(("--data-dir", Path(data_dir)))
    env = os.environ.get(ENV_VAR)
    if env:
        out.append((f"${ENV_VAR}", Path(env)))
    out.append(("user cache", cache_dir()))
    return out


def check_data_dir(data_dir: str | os.PathLike | None = None) -> None:
    """DataError if an explicit ``data_dir`` (``--data-dir``) is not a directory; None is fine.

    Source: the search order of shared/design.md (data.py): a mistyped ``--data-dir`` is an error.

    >>> check_data_dir(None)  # nothing asked for: fine
    >>> check_data_dir("/no/such/dir")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    ...
    darktmm.detectors.data.DataError: --data-dir /no/such/dir is not a directory
    """
    if data_dir is not None and not Path(data_dir).is_dir():
        raise DataError(f"--data-dir {data_dir} is not a directory")


def find_data_dir(data_dir: str | os.PathLike | None = None, *, required: str | None = None) -> Path | None:
    """Return the first data directory that holds ``required`` (a registry path), or None.

    An explicit ``data_dir`` that does not exist raises :class:`DataError`: the user asked for it.

    Source: the search order of shared/design.md (data.py). Demonstrated on a temporary directory:

    >>> import tempfile
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     rel = "na64/NA64e-_2022.csv"
    ...     (Path(tmp) / rel).parent.mkdir(parents=True)
    ...     _ = (Path(tmp) / rel).write_text("m,eps\\n")
    ...     print(find_data_dir(tmp, required=rel) == Path(tmp))
    True
    """
    check_data_dir(data_dir)
    for _, d in candidate_dirs(data_dir):
        if not d.is_dir():
            continue
        if required is None or (d / required).is_file():
            return d
    return None


def path(relpath: str, data_dir: str | os.PathLike | None = None) -> Path:
    """Absolute path of a registry file, or DataError saying where it was looked for.

    Source: :data:`REGISTRY` (shared/data/PROVENANCE.md) and the search order above.

    >>> import tempfile
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     rel = "na64/NA64e-_2022.csv"
    ...     (Path(tmp) / rel).parent.mkdir(parents=True)
    ...     _ = (Path(tmp) / rel).write_text("m,eps\\n")
    ...     print(path(rel, tmp).relative_to(tmp))
    na64/NA64e-_2022.csv
    """
    if relpath not in REGISTRY:
        raise DataError(f"unknown data file {relpath!r}")
    d = find_data_dir(data_dir, required=relpath)
    if d is None:
        where = ", ".join(f"{why} ({p})" for why, p in candidate_dirs(data_dir))
        raise DataError(
            f"data file {relpath} not found in {where}; run 'darktmm data fetch' or set {ENV_VAR}"
        )
    return d / relpath


def available(relpath: str, data_dir: str | os.PathLike | None = None) -> bool:
    """True if the registry file can be found. An explicit ``data_dir`` that is not a directory is
    still a DataError (a mistyped --data-dir must not silently fall back to the built-in data).

    Source: the search order of shared/design.md (data.py).

    >>> import tempfile
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     rel = "na64/NA64e-_2022.csv"
    ...     (Path(tmp) / rel).parent.mkdir(parents=True)
    ...     _ = (Path(tmp) / rel).write_text("m,eps\\n")
    ...     print(available(rel, tmp), available("no/such/file", tmp))
    True False
    >>> available("na64/NA64e-_2022.csv", "/no/such/dir")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    ...
    darktmm.detectors.data.DataError: --data-dir /no/such/dir is not a directory
    """
    check_data_dir(data_dir)
    try:
        path(relpath, data_dir)
    except DataError:
        return False
    return True


def sha256(p: str | os.PathLike) -> str:
    """Hex SHA-256 of a file, as listed in shared/data/PROVENANCE.md and :data:`REGISTRY`. The FIPS
    180-2 test vector sha256("abc"):

    >>> import tempfile
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = (Path(tmp) / "abc.txt").write_bytes(b"abc")
    ...     print(sha256(Path(tmp) / "abc.txt"))
    ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
    """
    h = hashlib.sha256()
    with open(p, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 16), b""):
            h.update(block)
    return h.hexdigest()


def verify(data_dir: str | os.PathLike | None = None) -> dict[str, str]:
    """Check every registry file: ``{'relpath': 'ok' | 'missing' | 'BAD HASH'}``.

    Source: the sha256 sums of shared/data/PROVENANCE.md (:data:`REGISTRY`). In an empty directory
    with no ``$DARKTMM_DATA`` and an empty cache every file is missing; a wrong file is caught by its hash:

    >>> import os, tempfile
    >>> from pathlib import Path
    >>> from unittest import mock
    >>> with tempfile.TemporaryDirectory() as tmp, mock.patch.dict(os.environ, {ENV_VAR: tmp}):
    ...     with mock.patch(__name__ + ".cache_dir", return_value=Path(tmp) / "cache"):
    ...         rel = "na64/NA64e-_2022.csv"
    ...         (Path(tmp) / rel).parent.mkdir(parents=True)
    ...         _ = (Path(tmp) / rel).write_text("not the NA64 curve\\n")
    ...         status = verify(tmp)
    >>> status["na64/NA64e-_2022.csv"], status["babar/BaBar_Lees2017lec.lmt"]
    ('BAD HASH', 'missing')
    """
    out = {}
    for rel, f in REGISTRY.items():
        try:
            p = path(rel, data_dir)
        except DataError:
            out[rel] = "missing"
            continue
        out[rel] = "ok" if sha256(p) == f.sha256 else "BAD HASH"
    return out


def fetch(
    dest: str | os.PathLike | None = None, *, base_url: str | None = None, progress: bool = False
) -> Path:
    """Download every registry file into ``dest`` (default: the user cache), checking sha256.

    ``base_url`` replaces the public origins by ``base_url/relpath`` (a mirror, or ``file://``
    for tests). Files already present with the right hash are not downloaded again.

    Source: the origins and sha256 sums of shared/data/PROVENANCE.md (:data:`REGISTRY`). An
    unreachable mirror is one readable DataError (no network is used here):

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     fetch(tmp, base_url="file:///no/such/mirror")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    ...
    darktmm.detectors.data.DataError: could not fetch borexino/phase2_spectrum/phase2_fig6a_components.csv
    """
    import pooch

    dest = Path(dest) if dest is not None else cache_dir()
    dest.mkdir(parents=True, exist_ok=True)
    for rel, f in REGISTRY.items():
        url = f"{base_url.rstrip('/')}/{rel}" if base_url else f.url
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            pooch.retrieve(
                url,
                known_hash=f"sha256:{f.sha256}",
                fname=target.name,
                path=target.parent,
                progressbar=progress,
                downloader=_copy_local if url.startswith("file://") else None,
            )
        except Exception as exc:  # network, hash mismatch: one readable reason
            raise DataError(f"could not fetch {rel} from {url}: {exc}") from None
    return dest


def _copy_local(url: str, output_file, pooch_obj=None, check_only: bool = False):
    """pooch downloader for file:// mirrors (pooch itself knows only network protocols)."""
    import shutil

    src = url[len("file://") :]
    if check_only:
        return os.path.isfile(src)
    if not os.path.isfile(src):
        raise FileNotFoundError(src)
    if hasattr(output_file, "write"):
        with open(src, "rb") as fh:
            shutil.copyfileobj(fh, output_file)
    else:
        shutil.copyfile(src, output_file)
    return None


def load_table(relpath: str, data_dir=None, **kw):
    """``numpy.loadtxt`` of a registry file, with a DataError naming the file if it is unreadable.

    Source: :data:`REGISTRY` (shared/data/PROVENANCE.md). Units are those of the file.

    >>> import tempfile
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     rel = "na64/NA64e-_2022.csv"
    ...     (Path(tmp) / rel).parent.mkdir(parents=True)
    ...     _ = (Path(tmp) / rel).write_text("0.01,1e-5\\n0.1,1e-4\\n")
    ...     print(load_table(rel, tmp, delimiter=",").shape)
    (2, 2)
    """
    import numpy as np

    p = path(relpath, data_dir)
    try:
        return np.loadtxt(p, **kw)
    except Exception as exc:
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(f"cannot read {p}: {msg}") from None
