"""Physical constants and unit conversions, natural units (GeV, hbar = c = 1).

Every value carries its source. Check values are those of
``shared/physics/README.md`` section 2 and 4 (CODATA 2018, PDG).

Convert only at the edges: inputs and outputs of the CLI, ROOT branch titles.
Internally every energy is in GeV, every length in GeV^-1, every cross
section in GeV^-2 and every magnetic moment in GeV^-1 unless its name says
otherwise (``_muB``, ``_cm2``, ``_MeV``...).

The check values of ``shared/physics/README.md`` sections 2 and 4: mu_B = e/(2 m_e) = 296.30 GeV^-1
(= e x 1.9308e-11 cm), 1 GeV^-2 = 3.893794e-28 cm^2 = 3.893794e8 pb, sigma_0 = 2 G_F^2 m_e/pi =
1.72327e-44 cm^2/MeV and pi alpha^2/m_e^2 = 2.4947e-25 cm^2:

>>> f"{MU_B:.5g}", f"{MU_B / E_CHARGE * HBARC_GEV_CM:.5g}"
('296.3', '1.9308e-11')
>>> f"{GEV2_TO_CM2:.7g}", f"{GEV2_TO_PB:.7g}"
('3.893794e-28', '3.893794e+08')
>>> f"{SIGMA0_SM * GEV2_TO_CM2 * MEV:.6g}", f"{SIGMA0_TMM * GEV2_TO_CM2:.5g}"
('1.72327e-44', '2.4947e-25')
>>> f"{E_CHARGE:.6f}", ENERGY_UNITS["keV"]
('0.302822', 1e-06)
"""

from __future__ import annotations

import math

# --- fundamental constants -------------------------------------------------
#: Fine-structure constant alpha(0), CODATA 2018.
ALPHA = 1.0 / 137.035999084
#: Heaviside-Lorentz unit charge e = sqrt(4 pi alpha).
E_CHARGE = math.sqrt(4.0 * math.pi * ALPHA)
#: Electron mass [GeV], CODATA 2018.
M_E = 0.51099895000e-3
#: Muon mass [GeV], CODATA 2018.
M_MU = 105.6583755e-3
#: Tau mass [GeV], PDG 2022.
M_TAU = 1.77686
#: Proton mass [GeV], CODATA 2018.
M_P = 0.93827209
#: Fermi constant [GeV^-2], PDG / MuLan.
G_F = 1.1663788e-5
#: Avogadro number [mol^-1], SI exact.
N_A = 6.02214076e23

# --- conversions -----------------------------------------------------------
#: hbar*c [GeV cm], CODATA 2018.
HBARC_GEV_CM = 1.973269804e-14
#: (hbar c)^2 [GeV^2 cm^2]: a cross section in GeV^-2 times this is in cm^2.
GEV2_TO_CM2 = HBARC_GEV_CM**2
#: 1 GeV^-2 in picobarn (1 pb = 1e-36 cm^2).
GEV2_TO_PB = GEV2_TO_CM2 * 1e36
#: 1 GeV^-2 in femtobarn (1 fb = 1e-39 cm^2).
GEV2_TO_FB = GEV2_TO_CM2 * 1e39
#: hbar [GeV s], CODATA 2018.
HBAR_GEV_S = 6.582119569e-25
#: Speed of light [cm/s], SI exact.
C_CM_S = 2.99792458e10
#: Seconds per day.
SECONDS_PER_DAY = 86400.0
#: Bohr magneton mu_B = e/(2 m_e) [GeV^-1] (Heaviside-Lorentz, natural units) = 296.30 GeV^-1.
MU_B = E_CHARGE / (2.0 * M_E)
#: 1 eV in GeV.
EV = 1e-9
#: 1 keV in GeV.
KEV = 1e-6
#: 1 MeV in GeV.
MEV = 1e-3

# --- derived combinations used by the nu-e cross sections -----------------
#: sigma_0 = 2 G_F^2 m_e / pi [GeV^-3]  (shared/physics/neutrino_electron.md section 2.1).
SIGMA0_SM = 2.0 * G_F**2 * M_E / math.pi
#: pi alpha^2 / m_e^2 [GeV^-2], the magnetic-moment prefactor (Vogel & Engel, PRD 39 (1989) 3378).
SIGMA0_TMM = math.pi * ALPHA**2 / M_E**2

# --- unit parsing tables (for the CLI edge) -------------------------------
#: Energy units accepted at the edges, in GeV.
ENERGY_UNITS = {"eV": EV, "keV": KEV, "MeV": MEV, "GeV": 1.0, "TeV": 1e3}

# --- tau leptonic branching ratios (appended for spectra/uv.py, tau -> l gamma) ---------
#: BR(tau -> e nu nubar), PDG; shared/physics/uv_model_meg.md section 1 [R].
BR_TAU_ENUNU = 0.1782
#: BR(tau -> mu nu nubar), PDG; shared/physics/uv_model_meg.md section 1 [R].
BR_TAU_MUNUNU = 0.1739

# --- hadron masses (appended for spectra/widths.py) ------------------------
#: Charged-pion mass [GeV], PDG 2022 (R. L. Workman et al., PTEP 2022, 083C01); sets the R-ratio threshold 2 m_pi.
M_PI = 0.13957039
