"""Ports of the two random draws of `snn train` that a peer must repeat exactly (not part of the solution).

* order(): DataLoader.Order, the sample order of an epoch (SplitMix64 Fisher-Yates seeded by (seed, epoch)).
* sltt_k_steps(): the steps SLTT-K back-propagates in one iteration (Sltt.StepsFor: .NET's seeded System.Random,
  i.e. its Knuth subtractive generator, shuffling 0..T-1, first K taken).
"""

MASK = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15
INT_MAX = 2**31 - 1


def mix(z):
    z = (z + GOLDEN) & MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def order(count, seed, epoch):
    """DataLoader.Order: Fisher-Yates with SplitMix64 and rejection sampling."""
    perm = list(range(count))
    state = mix((seed & 0xFFFFFFFF) ^ mix(0x5EED + (epoch & 0xFFFFFFFF)))
    for i in range(count - 1, 0, -1):
        bound = i + 1
        limit = MASK - MASK % bound
        while True:
            state = (state + GOLDEN) & MASK
            r = mix(state)
            if r < limit:
                break
        j = r % bound
        perm[i], perm[j] = perm[j], perm[i]
    return perm


class DotnetRandom:
    """System.Random(int seed): the seeded generator .NET keeps for compatibility (Knuth's subtractive method)."""

    def __init__(self, seed):
        seeds = [0] * 56
        subtraction = INT_MAX if seed == -2**31 else abs(seed)
        mj = 161803398 - subtraction
        seeds[55] = mj
        mk = 1
        ii = 0
        for i in range(1, 55):
            ii += 21
            if ii >= 55:
                ii -= 55
            seeds[ii] = mk
            mk = mj - mk
            if mk < 0:
                mk += INT_MAX
            mj = seeds[ii]
        for _ in range(1, 5):
            for i in range(1, 56):
                n = i + 30
                if n >= 55:
                    n -= 55
                seeds[i] = _to_int32(seeds[i] - seeds[1 + n])
                if seeds[i] < 0:
                    seeds[i] += INT_MAX
        self.seeds, self.inext, self.inextp = seeds, 0, 21

    def _sample_int(self):
        inext = self.inext + 1 if self.inext + 1 < 56 else 1
        inextp = self.inextp + 1 if self.inextp + 1 < 56 else 1
        value = _to_int32(self.seeds[inext] - self.seeds[inextp])
        if value == INT_MAX:
            value -= 1
        if value < 0:
            value += INT_MAX
        self.seeds[inext] = value
        self.inext, self.inextp = inext, inextp
        return value

    def next(self, low, high):
        """Next(low, high) for a range below 2^31: low + floor(sample * range)."""
        return int(self._sample_int() * (1.0 / INT_MAX) * (high - low)) + low

    def shuffle(self, values):
        """Random.Shuffle: for i = 0..n-2 swap values[i] with values[Next(i, n)]."""
        n = len(values)
        for i in range(n - 1):
            j = self.next(i, n)
            values[i], values[j] = values[j], values[i]


def _to_int32(v):
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v >= 1 << 31 else v


def iteration_seed(seed, step):
    """The Trainer's per-iteration seed: seed * 0x9E3779B97F4A7C15 + step (unsigned 64-bit)."""
    return (seed * GOLDEN + step) & MASK


def sltt_k_steps(steps, k, iteration):
    """Sltt.StepsFor: the 0-based steps that get a backward (all of them when k >= T)."""
    if k >= steps:
        return set(range(steps))
    draw = list(range(steps))
    DotnetRandom(_to_int32(iteration ^ (iteration >> 32))).shuffle(draw)
    return set(draw[:k])
