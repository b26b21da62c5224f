using System.Buffers.Binary;
using System.Globalization;

namespace MoleculeGuardian.Files;

/// <summary>
/// A POSIX access ACL as Linux stores it in the <c>system.posix_acl_access</c> extended attribute: a 4-byte version
/// (2), then one 8-byte entry per line of <c>getfacl</c>: tag (2 bytes), permissions (2 bytes), id (4 bytes), all
/// little-endian. The mode's group bits show only the ACL's mask, so <c>setfacl -m u:1000:rwx</c> on a root-owned
/// directory shows 0775 with group 0: the mode alone says nobody but root can write it.
/// </summary>
internal static class PosixAcl
{
    public const string AccessAttribute = "system.posix_acl_access";

    private const uint Version = 2;
    private const int HeaderSize = 4;
    private const int EntrySize = 8;
    private const ushort UserObj = 0x01;
    private const ushort User = 0x02;
    private const ushort GroupObj = 0x04;
    private const ushort Group = 0x08;
    private const ushort Mask = 0x10;
    private const ushort Other = 0x20;
    private const ushort Write = 0x2;

    /// <summary>
    /// Who besides the owner may write, by <paramref name="value"/> as the kernel applies it: named users other than
    /// the owner, the owning group and named groups (each only as far as the mask lets it), and others; empty when
    /// nobody. Group 0 is root's own, as in the mode rule. Null when the value is not an ACL of this format: whoever
    /// asks must then assume the worst.
    /// </summary>
    public static IReadOnlyList<string>? Writers(ReadOnlySpan<byte> value, uint ownerUid, uint ownerGid)
    {
        // Stryker disable once Arithmetic : "+ HeaderSize" is equivalent: 8 divides the difference of the two sums
        if (value.Length < HeaderSize || (value.Length - HeaderSize) % EntrySize != 0
            || BinaryPrimitives.ReadUInt32LittleEndian(value) != Version)
        {
            return null;
        }

        var entries = new List<(ushort Tag, ushort Perm, uint Id)>();
        ushort? mask = null;
        for (var at = HeaderSize; at < value.Length; at += EntrySize)
        {
            var tag = BinaryPrimitives.ReadUInt16LittleEndian(value[at..]);
            var perm = BinaryPrimitives.ReadUInt16LittleEndian(value[(at + 2)..]);
            var id = BinaryPrimitives.ReadUInt32LittleEndian(value[(at + 4)..]);
            if (tag is not (UserObj or User or GroupObj or Group or Mask or Other))
            {
                return null;
            }

            if (tag == Mask)
            {
                mask = perm;
            }

            entries.Add((tag, perm, id));
        }

        // Without a mask (a minimal ACL: no named entries) nothing is masked.
        var masked = mask ?? ushort.MaxValue;
        var writers = new List<string>();
        foreach (var (tag, perm, id) in entries)
        {
            var writes = (perm & Write) != 0;
            var who = tag switch
            {
                // The kernel never looks at a named entry for the owner: the owner's own entry decides for it.
                User when writes && (masked & Write) != 0 && id != ownerUid => "user " + Number(id),
                GroupObj when writes && (masked & Write) != 0 && ownerGid != 0 => "group " + Number(ownerGid),
                Group when writes && (masked & Write) != 0 && id != 0 => "group " + Number(id),
                Other when writes => "anyone",
                _ => null,
            };
            if (who is not null && !writers.Contains(who))
            {
                writers.Add(who);
            }
        }

        return writers;
    }

    private static string Number(uint id) => id.ToString(CultureInfo.InvariantCulture);
}
