"""The LMS method as WHO applies it, with its restricted tails, and the normal curve.

A row (L, M, S) of a WHO table describes the distribution of a measure at one age:
the measure y has z-score ((y/M)^L - 1) / (L·S), and the measure at z-score z is
M·(1 + L·S·z)^(1/L) (Cole & Green 1992; L = 0 is the logarithmic limit).

For weight-based indicators WHO does not trust that curve beyond ±3 SD: the Box-Cox
power that fits the bulk of a right-skewed distribution stretches the far tails, so
very heavy children would get z-scores that are too small. WHO's growth standards
technical report (2006, chapter 7) and the 5-19 year computation notes (2007)
"restrict" the tails: beyond ±3 SD one more SD is the distance between the 2 SD and
3 SD values, a straight line. The two branches agree at ±3, so the z-score stays
continuous and increasing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

_STANDARD_NORMAL = NormalDist()


@dataclass(frozen=True, slots=True)
class Lms:
    """One row of an LMS table: Box-Cox power L, median M, coefficient of variation S.

    Precondition: M > 0 and S > 0 (the table loader checks it).
    """

    l: float  # noqa: E741 -- the method's own name, as in every WHO table
    m: float
    s: float

    def zscore(self, value: float, *, restricted: bool) -> float:
        """The z-score of a measure; `restricted` applies WHO's linear tails beyond ±3."""
        z = self._plain_zscore(value)
        if restricted and z > 3:
            sd3 = self._plain_value(3)
            return 3 + (value - sd3) / (sd3 - self._plain_value(2))
        if restricted and z < -3:
            sd3 = self._plain_value(-3)
            return -3 + (value - sd3) / (self._plain_value(-2) - sd3)
        return z

    def value(self, z: float, *, restricted: bool) -> float:
        """The measure at a z-score: the inverse of `zscore` for the same `restricted`.

        Raises ValueError when no positive measure has that z-score (a far tail of a
        restricted curve, or beyond the support of the Box-Cox curve).
        """
        if restricted and z > 3:
            sd3 = self._plain_value(3)
            found = sd3 + (z - 3) * (sd3 - self._plain_value(2))
        elif restricted and z < -3:
            sd3 = self._plain_value(-3)
            found = sd3 + (z + 3) * (self._plain_value(-2) - sd3)
        else:
            found = self._plain_value(z)
        if not found > 0:
            raise ValueError(f"no positive measure has z-score {z} for {self}")
        return found

    def towards(self, other: Lms, fraction: float) -> Lms:
        """The row a `fraction` of the way to `other`, each parameter linear, as WHO does."""
        return Lms(
            self.l + fraction * (other.l - self.l),
            self.m + fraction * (other.m - self.m),
            self.s + fraction * (other.s - self.s),
        )

    def _plain_zscore(self, value: float) -> float:
        if self.l == 0:
            return math.log(value / self.m) / self.s
        return ((value / self.m) ** self.l - 1) / (self.l * self.s)

    def _plain_value(self, z: float) -> float:
        if self.l == 0:
            return self.m * math.exp(self.s * z)
        base = 1 + self.l * self.s * z
        if base <= 0:
            raise ValueError(f"z-score {z} is beyond the LMS curve {self}")
        return self.m * base ** (1 / self.l)


def percentile_of(z: float) -> float:
    """The percentile (0-100, exclusive) of a z-score on the standard normal curve."""
    return _STANDARD_NORMAL.cdf(z) * 100


def zscore_of_percentile(percentile: float) -> float:
    """The z-score of a percentile; precondition 0 < percentile < 100."""
    if not 0 < percentile < 100:
        raise ValueError(f"a percentile is between 0 and 100 exclusive, not {percentile}")
    return _STANDARD_NORMAL.inv_cdf(percentile / 100)
