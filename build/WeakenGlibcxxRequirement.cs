// MSBuild task: marks TorchSharp's GLIBCXX_3.4.32 version requirement weak where the system libstdc++ lacks it.
// libLibTorchSharp.so (TorchSharp 0.107) asks for GLIBCXX_3.4.32, but the only symbol under that version is the marker
// std::ios_base_library_init() with no relocation, so a weak requirement loads correctly on Debian 12 (3.4.30).
// Without this, the first torch call fails with a misleading "libtorch-cpu-linux-x64 is not restored".
using System;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public sealed class WeakenGlibcxxRequirement : Task
{
    private const string Version = "GLIBCXX_3.4.32";
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ushort VerFlgWeak = 0x2;

    [Required] public ITaskItem[] Files { get; set; } = Array.Empty<ITaskItem>();

    public override bool Execute()
    {
        if (SystemHasVersion()) return true; // new enough: leave the library exactly as shipped
        foreach (var item in Files)
        {
            var path = item.ItemSpec;
            if (!File.Exists(path)) continue;
            var bytes = File.ReadAllBytes(path);
            if (Weaken(bytes))
            {
                File.WriteAllBytes(path, bytes);
                Log.LogMessage(MessageImportance.Normal, $"{path}: {Version} requirement marked weak (system libstdc++ is older)");
            }
        }
        return !Log.HasLoggedErrors;
    }

    private static bool SystemHasVersion()
    {
        foreach (var dir in new[] { "/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib" })
        {
            var lib = Path.Combine(dir, "libstdc++.so.6");
            if (File.Exists(lib))
                return Encoding.ASCII.GetString(File.ReadAllBytes(lib)).Contains(Version + "\0");
        }
        return false;
    }

    // Walks the ELF64 little-endian section headers to SHT_GNU_verneed, then each Verneed's Vernaux entries.
    private static bool Weaken(byte[] b)
    {
        if (b.Length < 64 || b[0] != 0x7f || b[1] != (byte)'E' || b[4] != 2 || b[5] != 1) return false;
        long shoff = BitConverter.ToInt64(b, 0x28);
        int shentsize = BitConverter.ToUInt16(b, 0x3A), shnum = BitConverter.ToUInt16(b, 0x3C);
        bool changed = false;
        for (int i = 0; i < shnum; i++)
        {
            long sh = shoff + (long)i * shentsize;
            if (BitConverter.ToUInt32(b, (int)sh + 4) != ShtGnuVerneed) continue;
            long offset = BitConverter.ToInt64(b, (int)sh + 0x18);
            uint link = BitConverter.ToUInt32(b, (int)sh + 0x28);
            uint count = BitConverter.ToUInt32(b, (int)sh + 0x2C); // sh_info: number of Verneed entries
            long strtab = BitConverter.ToInt64(b, (int)(shoff + link * shentsize) + 0x18);
            long vn = offset;
            for (uint n = 0; n < count; n++)
            {
                int cnt = BitConverter.ToUInt16(b, (int)vn + 2);
                long aux = vn + BitConverter.ToUInt32(b, (int)vn + 8);
                for (int a = 0; a < cnt; a++)
                {
                    uint name = BitConverter.ToUInt32(b, (int)aux + 8);
                    if (ReadCString(b, strtab + name) == Version)
                    {
                        ushort flags = BitConverter.ToUInt16(b, (int)aux + 4);
                        if ((flags & VerFlgWeak) == 0)
                        {
                            BitConverter.GetBytes((ushort)(flags | VerFlgWeak)).CopyTo(b, (int)aux + 4);
                            changed = true;
                        }
                    }
                    aux += BitConverter.ToUInt32(b, (int)aux + 12);
                }
                vn += BitConverter.ToUInt32(b, (int)vn + 12);
            }
        }
        return changed;
    }

    private static string ReadCString(byte[] b, long at)
    {
        int end = (int)at;
        while (b[end] != 0) end++;
        return Encoding.ASCII.GetString(b, (int)at, end - (int)at);
    }
}
