"""Zero-phase Butterworth filtering in numpy, as nilearn's ``signal.butterworth``.

nilearn filters with ``scipy.signal.butter(N, Wn, btype, output="sos", fs)``
and ``scipy.signal.sosfiltfilt(sos, x, axis=0, padtype="odd")``. Importing
``scipy.signal`` costs ~0.8 s (it loads ``scipy.stats`` and the whole signal
package), most of a one-image process's start-up. The two steps are small, so
they are written here with numpy alone, following scipy 1.17's code step by
step (``buttap``, ``lp2lp_zpk``/``lp2hp_zpk``/``lp2bp_zpk``, ``bilinear_zpk``,
``zpk2sos`` with ``pairing="nearest"``, ``sosfilt_zi``, odd extension, and
the direct-form II transposed recursion of ``sosfilt``), so the sections are
scipy's to rounding and the filtered signals equal scipy's (tested beside
scipy). Only what nilearn's default call uses is here: order ``N``, odd
padding of scipy's default length, float64 output.

scipy is BSD-licensed; the algorithms are its own.
"""

from __future__ import annotations

import numpy as np

from ..errors import TooFewVolumesError

__all__ = ["butter_sos", "sosfiltfilt"]


def butter_sos(order: int, cutoffs: list[float], btype: str, fs: float) -> np.ndarray:
    """Return the second-order sections of a digital Butterworth filter.

    Parameters
    ----------
    order : int
        Filter order (nilearn: 5).
    cutoffs : list of float
        One cut-off in Hz (``"lowpass"``, ``"highpass"``) or two (``"bandpass"``),
        each strictly between 0 and ``fs / 2``.
    btype : {"lowpass", "highpass", "bandpass"}
        Filter type.
    fs : float
        Sampling frequency in Hz (1 / TR).

    Returns
    -------
    numpy.ndarray
        ``(n_sections, 6)`` sections ``[b0, b1, b2, 1, a1, a2]``, as
        ``scipy.signal.butter(order, cutoffs, btype, output="sos", fs=fs)``.

    Raises
    ------
    ValueError
        If a cut-off is not strictly between 0 and the Nyquist frequency.
    """
    wn = np.asarray(cutoffs, dtype=np.float64) / (fs / 2)
    if np.any(wn <= 0) or np.any(wn >= 1):
        raise ValueError(
            f"Butterworth cut-offs must be between 0 and fs/2 = {fs / 2}; got {cutoffs}."
        )
    zeros = np.asarray([], dtype=np.float64)
    m = np.arange(-order + 1, order, 2, dtype=np.float64)
    poles = -np.exp(1j * np.pi * m / (2 * order))
    gain = 1.0
    warped = 2 * 2.0 * np.tan(np.pi * wn / 2.0)
    degree = poles.shape[0] - zeros.shape[0]
    if btype == "lowpass":
        wo = float(warped[0])
        zeros, poles, gain = wo * zeros, wo * poles, gain * wo**degree
    elif btype == "highpass":
        wo = float(warped[0])
        gain = gain * np.real(np.prod(-zeros) / np.prod(-poles))
        zeros = np.concatenate((wo / zeros, np.zeros(degree)))
        poles = wo / poles
    elif btype == "bandpass":
        bw = float(warped[1] - warped[0])
        wo = float(np.sqrt(warped[0] * warped[1]))
        z_lp = (zeros * bw / 2).astype(np.complex128)
        p_lp = (poles * bw / 2).astype(np.complex128)
        zeros = np.concatenate(
            (z_lp + np.sqrt(z_lp**2 - wo**2), z_lp - np.sqrt(z_lp**2 - wo**2))
        )
        poles = np.concatenate(
            (p_lp + np.sqrt(p_lp**2 - wo**2), p_lp - np.sqrt(p_lp**2 - wo**2))
        )
        zeros = np.concatenate((zeros, np.zeros(degree)))
        gain = gain * bw**degree
    else:
        raise ValueError(f"btype must be lowpass, highpass or bandpass, not {btype!r}")
    zeros, poles, gain = _bilinear(zeros, poles, gain, fs=2.0)
    return _zpk2sos(zeros, poles, gain)


def _bilinear(z, p, k, fs):
    degree = p.shape[0] - z.shape[0]
    fs2 = 2.0 * fs
    z_z = (fs2 + z) / (fs2 - z)
    p_z = (fs2 + p) / (fs2 - p)
    z_z = np.concatenate((z_z, -np.ones(degree)))
    k_z = k * np.real(np.prod(fs2 - z) / np.prod(fs2 - p))
    return z_z, p_z, k_z


def _cplxreal(z):
    """Split ``z`` into conjugate pairs (positive imaginary part) and reals."""
    z = np.atleast_1d(z)
    if z.size == 0:
        return z, z
    tol = 100 * np.finfo((1.0 * z).dtype).eps
    z = z[np.lexsort((abs(z.imag), z.real))]
    real_indices = abs(z.imag) <= tol * abs(z)
    zr = z[real_indices].real
    if len(zr) == len(z):
        return np.array([]), zr
    z = z[~real_indices]
    zp = z[z.imag > 0]
    zn = z[z.imag < 0]
    if len(zp) != len(zn):
        raise ValueError("Array contains complex value with no matching conjugate.")
    same_real = np.diff(zp.real) <= tol * abs(zp[:-1])
    diffs = np.diff(np.concatenate(([0], same_real, [0])))
    run_starts = np.nonzero(diffs > 0)[0]
    run_stops = np.nonzero(diffs < 0)[0]
    for i in range(len(run_starts)):
        start = run_starts[i]
        stop = run_stops[i] + 1
        for chunk in (zp[start:stop], zn[start:stop]):
            chunk[...] = chunk[np.lexsort([abs(chunk.imag)])]
    if any(abs(zp - zn.conj()) > tol * abs(zn)):
        raise ValueError("Array contains complex value with no matching conjugate.")
    return (zp + zn.conj()) / 2, zr


def _nearest(fro, to, which):
    order = np.argsort(np.abs(fro - to))
    if which == "any":
        return order[0]
    mask = np.isreal(fro[order])
    if which == "complex":
        mask = ~mask
    return order[np.nonzero(mask)[0][0]]


def _poly(roots):
    roots = np.atleast_1d(np.asarray(roots))
    if roots.shape[0] == 0:
        return np.asarray(1.0, dtype=np.real(roots).dtype)
    a = np.ones((1,), dtype=roots.dtype)
    one = np.ones_like(roots[0])
    for root in roots:
        a = np.convolve(a, np.stack((one, -root)), mode="full")
    if np.iscomplexobj(a):
        as_complex = np.asarray(roots, dtype=np.complex128)
        if np.all(
            np.sort(np.imag(as_complex)) == np.sort(np.imag(np.conj(as_complex)))
        ):
            a = np.real(a).copy()
    return a


def _section(z, p):
    sos = np.zeros(6)
    b = np.atleast_1d(_poly(np.asarray(z)))
    a = np.atleast_1d(_poly(np.asarray(p)))
    sos[3 - len(b) : 3] = np.real(b)
    sos[6 - len(a) : 6] = np.real(a)
    return sos


def _zpk2sos(z, p, k):
    """Pair poles and zeros into sections as scipy's ``zpk2sos(pairing="nearest")``."""
    z, p = np.asarray(z), np.asarray(p)
    if len(z) == len(p) == 0:
        return np.asarray([[k, 0.0, 0.0, 1.0, 0.0, 0.0]])
    p = np.concatenate((p, np.zeros(max(len(z) - len(p), 0))))
    z = np.concatenate((z, np.zeros(max(len(p) - len(z), 0))))
    n_sections = (max(len(p), len(z)) + 1) // 2
    if len(p) % 2 == 1:
        p = np.concatenate((p, [0.0]))
        z = np.concatenate((z, [0.0]))
    z = np.concatenate(_cplxreal(z))
    p = np.concatenate(_cplxreal(p))
    k = np.real(k)

    def worst(values):
        return np.argmin(np.abs(1 - np.abs(values)))

    sos = np.zeros((n_sections, 6))
    for si in range(n_sections - 1, -1, -1):
        p1_idx = worst(p)
        p1 = p[p1_idx]
        p = np.delete(p, p1_idx)
        if np.isreal(p1) and np.isreal(p).sum() == 0:
            z1_idx = _nearest(z, p1, "real")
            z1 = z[z1_idx]
            z = np.delete(z, z1_idx)
            sos[si] = _section([z1, 0], [p1, 0])
        elif (
            len(p) + 1 == len(z)
            and not np.isreal(p1)
            and np.isreal(p).sum() == 1
            and np.isreal(z).sum() == 1
        ):
            z1_idx = _nearest(z, p1, "complex")
            z1 = z[z1_idx]
            z = np.delete(z, z1_idx)
            sos[si] = _section([z1, z1.conj()], [p1, p1.conj()])
        else:
            if np.isreal(p1):
                real_idx = np.flatnonzero(np.isreal(p))
                p2_idx = real_idx[worst(p[real_idx])]
                p2 = p[p2_idx]
                p = np.delete(p, p2_idx)
            else:
                p2 = p1.conj()
            if len(z) > 0:
                z1_idx = _nearest(z, p1, "any")
                z1 = z[z1_idx]
                z = np.delete(z, z1_idx)
                if not np.isreal(z1):
                    sos[si] = _section([z1, z1.conj()], [p1, p2])
                elif len(z) > 0:
                    z2_idx = _nearest(z, p1, "real")
                    z2 = z[z2_idx]
                    z = np.delete(z, z2_idx)
                    sos[si] = _section([z1, z2], [p1, p2])
                else:
                    sos[si] = _section([z1], [p1, p2])
            else:
                sos[si] = _section([], [p1, p2])
    sos[0][:3] *= k
    return sos


def _section_zi(b: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Return the steady-state initial conditions of one section (``lfilter_zi``)."""
    if a[0] != 1.0:
        b, a = b / a[0], a / a[0]
    # I - companion(a).T for a of length 3
    i_minus_a = np.eye(2) - np.array([[-a[1], 1.0], [-a[2], 0.0]])
    return np.linalg.solve(i_minus_a, b[1:] - a[1:] * b[0])


def _sosfilt_zi(sos: np.ndarray) -> np.ndarray:
    zi = np.empty((sos.shape[0], 2))
    scale = 1.0
    for section in range(sos.shape[0]):
        b, a = sos[section, :3], sos[section, 3:]
        zi[section] = scale * _section_zi(b, a)
        scale *= np.sum(b) / np.sum(a)
    return zi


def _sosfilt(sos: np.ndarray, x: np.ndarray, zi: np.ndarray) -> np.ndarray:
    """Filter the columns of ``x`` (time first) in place; ``zi`` (n_sections, 2, n)."""
    coefs = [tuple(float(c) for c in row) for row in sos]
    z0 = [zi[s, 0].copy() for s in range(len(coefs))]
    z1 = [zi[s, 1].copy() for s in range(len(coefs))]
    new = np.empty(x.shape[1])
    tmp = np.empty(x.shape[1])
    for n in range(x.shape[0]):
        cur = x[n]
        for s, (b0, b1, b2, _, a1, a2) in enumerate(coefs):
            # x_new = b0 x + z0; z0 = (b1 x - a1 x_new) + z1; z1 = b2 x - a2 x_new
            np.multiply(cur, b0, out=new)
            new += z0[s]
            np.multiply(cur, b1, out=z0[s])
            np.multiply(new, a1, out=tmp)
            z0[s] -= tmp
            z0[s] += z1[s]
            np.multiply(cur, b2, out=z1[s])
            np.multiply(new, a2, out=tmp)
            z1[s] -= tmp
            cur = new.copy() if s + 1 < len(coefs) else new
        x[n] = cur
    return x


def sosfiltfilt(sos: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Filter forward and backward along axis 0, as ``scipy.signal.sosfiltfilt``.

    Odd padding of scipy's default length (3 x the number of taps), initial
    conditions from the step-response steady state.

    Parameters
    ----------
    sos : numpy.ndarray
        ``(n_sections, 6)`` sections from :func:`butter_sos`.
    x : numpy.ndarray
        ``(n_samples, n_columns)`` signals.

    Returns
    -------
    numpy.ndarray
        float64 filtered signals, shape of ``x``.

    Raises
    ------
    TooFewVolumesError
        If there are no more samples than the padding length (scipy's rule); a
        ``ValueError`` as scipy's.
    """
    x = np.asarray(x)
    ntaps = 2 * sos.shape[0] + 1
    ntaps -= min(int((sos[:, 2] == 0).sum()), int((sos[:, 5] == 0).sum()))
    edge = ntaps * 3
    if x.shape[0] <= edge:
        raise TooFewVolumesError(
            "The length of the input vector x must be greater than padlen, "
            "which is {padlen}: filtering ({--high_pass}, {--low_pass}) needs more "
            "than {padlen} volumes, and {count} are left.",
            padlen=edge,
            count=int(x.shape[0]),
            fix="Drop the filter for so short a run, or give a longer one.",
        )
    ext = np.concatenate(
        (
            2 * x[:1] - x[edge:0:-1],
            x,
            2 * x[-1:] - x[-2 : -(edge + 2) : -1],
        ),
        axis=0,
    )
    ext = np.array(ext, dtype=np.result_type(sos, ext), order="C")
    zi = _sosfilt_zi(sos)[:, :, None]
    y = _sosfilt(sos, ext, zi * ext[0])
    y = np.ascontiguousarray(y[::-1])
    y = _sosfilt(sos, y, zi * y[0])
    return y[::-1][edge:-edge]
