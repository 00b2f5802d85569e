// The within-file duplicate index: pair hash -> line of its first occurrence, open addressing over one array.
// Pair hashes are XxHash128 values (uniform), so their low bits index the table directly; a probe costs one cache
// miss, where Dictionary<UInt128, long> takes two (bucket, then entry) on a table far larger than the caches.
namespace Pipeline.Shared.Datasets;

internal sealed class FirstLines
{
    /// <summary>One entry; <see cref="LinePlusOne"/> is 0 in an empty slot.</summary>
    private struct Slot
    {
        public ulong Lower, Upper;
        public long LinePlusOne;
    }

    private Slot[] _slots = new Slot[1 << 10];

    public int Count { get; private set; }

    private long _touched;

    /// <summary>Reads the slot where <paramref name="pairHash"/> starts probing and discards it. Called for a whole
    /// batch before its lookups, the loads are independent, so the CPU overlaps their cache misses instead of
    /// waiting for each in turn inside <see cref="FirstOrAdd"/>.</summary>
    public void Touch(UInt128 pairHash) => _touched ^= _slots[(int)(ulong)pairHash & (_slots.Length - 1)].LinePlusOne;

    /// <summary>The line where <paramref name="pairHash"/> was first seen, or null after recording
    /// <paramref name="line"/> as that line.</summary>
    public long? FirstOrAdd(UInt128 pairHash, long line)
    {
        if ((Count + 1) * 4L > _slots.Length * 3L) Grow(); // load factor at most 3/4
        ulong lower = (ulong)pairHash, upper = (ulong)(pairHash >> 64);
        var mask = _slots.Length - 1;
        for (var i = (int)lower & mask; ; i = (i + 1) & mask)
        {
            ref var slot = ref _slots[i];
            if (slot.LinePlusOne == 0)
            {
                slot = new Slot { Lower = lower, Upper = upper, LinePlusOne = line + 1 };
                Count++;
                return null;
            }
            if (slot.Lower == lower && slot.Upper == upper) return slot.LinePlusOne - 1;
        }
    }

    private void Grow()
    {
        var old = _slots;
        _slots = new Slot[old.Length * 2];
        var mask = _slots.Length - 1;
        foreach (var slot in old)
        {
            if (slot.LinePlusOne == 0) continue;
            var i = (int)slot.Lower & mask;
            while (_slots[i].LinePlusOne != 0) i = (i + 1) & mask;
            _slots[i] = slot;
        }
    }
}
