using System.Buffers.Binary;
using MoleculeGuardian.Files;

namespace MoleculeGuardian.Tests.Files;

/// <summary>
/// <see cref="PosixAcl.Writers"/>: who besides the owner may write, read from the attribute's bytes as the kernel
/// stores them. The entries are built here in the kernel's format; one test checks that format against what
/// <c>setfacl</c> really writes (<see cref="PrivilegeTests"/> goes through the real attribute end to end).
/// </summary>
public sealed class PosixAclTests
{
    private const int UserObj = 0x01;
    private const int User = 0x02;
    private const int GroupObj = 0x04;
    private const int Group = 0x08;
    private const int Mask = 0x10;
    private const int Other = 0x20;
    private const uint Undefined = uint.MaxValue;

    [Fact]
    public void Writers_WhatSetfaclWritesForUser1000Rwx_User1000()
    {
        // getfattr -e hex -n system.posix_acl_access after `setfacl -m u:1000:rwx` on a root-owned 0755 directory.
        var bytes = Convert.FromHexString("0200000001000700ffffffff02000700e803000004000500ffffffff10000700ffffffff20000500ffffffff");

        Assert.Equal(["user 1000"], PosixAcl.Writers(bytes, 0, 0));
    }

    [Fact]
    public void Writers_MinimalAclOnlyOwnerWrites_Empty()
    {
        Assert.Empty(PosixAcl.Writers(Acl((UserObj, 7, Undefined), (GroupObj, 5, Undefined), (Other, 5, Undefined)), 0, 0)!);
    }

    [Theory]
    [InlineData(User, 7, 1000u, "user 1000")]
    [InlineData(User, 2, 1000u, "user 1000")]
    [InlineData(User, 3, 4294967294u, "user 4294967294")]
    [InlineData(Group, 7, 50u, "group 50")]
    [InlineData(Group, 6, 1000u, "group 1000")]
    public void Writers_NamedEntryWithWriteUnderAWritingMask_NamesIt(int tag, int perm, uint id, string expected)
    {
        var acl = Acl((UserObj, 7, Undefined), (tag, perm, id), (GroupObj, 5, Undefined), (Mask, 7, Undefined), (Other, 5, Undefined));

        Assert.Equal([expected], PosixAcl.Writers(acl, 0, 0));
    }

    [Theory]
    [InlineData(User, 5, 7)]
    [InlineData(User, 4, 7)]
    [InlineData(User, 7, 5)]
    [InlineData(User, 7, 4)]
    [InlineData(Group, 5, 7)]
    [InlineData(Group, 7, 5)]
    [InlineData(Group, 7, 0)]
    public void Writers_NamedEntryWithoutWriteOrMaskedOff_Empty(int tag, int perm, int mask)
    {
        var acl = Acl((UserObj, 7, Undefined), (tag, perm, 1000), (GroupObj, 5, Undefined), (Mask, mask, Undefined), (Other, 5, Undefined));

        Assert.Empty(PosixAcl.Writers(acl, 0, 0)!);
    }

    [Fact]
    public void Writers_NamedUserEntryForTheOwnerItself_NotCounted()
    {
        // The kernel decides for the owner by the owner's own entry; a named entry for that uid is never consulted.
        var acl = Acl((UserObj, 7, Undefined), (User, 7, 0), (GroupObj, 5, Undefined), (Mask, 7, Undefined), (Other, 5, Undefined));

        Assert.Empty(PosixAcl.Writers(acl, 0, 0)!);
    }

    [Fact]
    public void Writers_NamedGroupZero_NotCountedAsTheModeRuleDoesNot()
    {
        var acl = Acl((UserObj, 7, Undefined), (Group, 7, 0), (GroupObj, 5, Undefined), (Mask, 7, Undefined), (Other, 5, Undefined));

        Assert.Empty(PosixAcl.Writers(acl, 0, 0)!);
    }

    [Theory]
    [InlineData(7, 7, 50u, "group 50")]
    [InlineData(7, 5, 50u, null)]
    [InlineData(5, 7, 50u, null)]
    [InlineData(7, 7, 0u, null)]
    public void Writers_OwningGroupWithWrite_CountedWhenTheMaskLetsItAndTheGroupIsNotRoots(int groupPerm, int mask, uint ownerGid, string? expected)
    {
        var acl = Acl((UserObj, 7, Undefined), (User, 5, 1000), (GroupObj, groupPerm, Undefined), (Mask, mask, Undefined), (Other, 5, Undefined));

        Assert.Equal(expected is null ? [] : [expected], PosixAcl.Writers(acl, 0, ownerGid));
    }

    [Fact]
    public void Writers_OwningGroupWriteWithoutMask_CountedUnmasked()
    {
        Assert.Equal(["group 50"], PosixAcl.Writers(Acl((UserObj, 7, Undefined), (GroupObj, 7, Undefined), (Other, 5, Undefined)), 0, 50));
    }

    [Theory]
    [InlineData(7)]
    [InlineData(2)]
    public void Writers_OthersWrite_AnyoneWhateverTheMask(int other)
    {
        var acl = Acl((UserObj, 7, Undefined), (GroupObj, 5, Undefined), (Mask, 5, Undefined), (Other, other, Undefined));

        Assert.Equal(["anyone"], PosixAcl.Writers(acl, 0, 0));
    }

    [Fact]
    public void Writers_SeveralWriters_EachNamedOnceInTheAclsOrder()
    {
        var acl = Acl((UserObj, 7, Undefined), (User, 7, 1000), (User, 7, 1001), (User, 6, 1000), (GroupObj, 7, Undefined), (Group, 2, 60),
            (Mask, 7, Undefined), (Other, 2, Undefined));

        Assert.Equal(["user 1000", "user 1001", "group 50", "group 60", "anyone"], PosixAcl.Writers(acl, 0, 50));
    }

    [Fact]
    public void Writers_OwnerOtherThanRoot_OwnersNamedEntrySkippedOthersCounted()
    {
        var acl = Acl((UserObj, 7, Undefined), (User, 7, 1000), (User, 7, 0), (GroupObj, 5, Undefined), (Mask, 7, Undefined), (Other, 5, Undefined));

        Assert.Equal(["user 0"], PosixAcl.Writers(acl, 1000, 1000));
    }

    [Fact]
    public void Writers_MaskBeforeTheEntriesItMasks_StillApplied()
    {
        // The kernel sorts entries by tag, but the mask applies wherever it stands.
        var acl = Acl((Mask, 5, Undefined), (UserObj, 7, Undefined), (User, 7, 1000), (GroupObj, 5, Undefined), (Other, 5, Undefined));

        Assert.Empty(PosixAcl.Writers(acl, 0, 0)!);
    }

    [Theory]
    [InlineData("")]
    [InlineData("020000")]
    [InlineData("02000000010007")]
    [InlineData("0200000001000700ffffffff02")]
    [InlineData("0100000001000700ffffffff")]
    [InlineData("0300000001000700ffffffff")]
    [InlineData("0002000001000700ffffffff")]
    [InlineData("0200000040000700ffffffff")]
    [InlineData("0200000000000700ffffffff")]
    [InlineData("0200000003000700ffffffff")]
    public void Writers_NotAnAclOfThisFormat_Null(string hex)
    {
        Assert.Null(PosixAcl.Writers(Convert.FromHexString(hex), 0, 0));
    }

    [Fact]
    public void Writers_HeaderOnly_Empty()
    {
        Assert.Empty(PosixAcl.Writers(Convert.FromHexString("02000000"), 0, 0)!);
    }

    /// <summary>The attribute's bytes: version 2, then tag, permissions and id of each entry, little-endian.</summary>
    private static byte[] Acl(params (int Tag, int Perm, uint Id)[] entries)
    {
        var bytes = new byte[4 + (8 * entries.Length)];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, 2);
        for (var i = 0; i < entries.Length; i++)
        {
            var at = bytes.AsSpan(4 + (8 * i));
            BinaryPrimitives.WriteUInt16LittleEndian(at, (ushort)entries[i].Tag);
            BinaryPrimitives.WriteUInt16LittleEndian(at[2..], (ushort)entries[i].Perm);
            BinaryPrimitives.WriteUInt32LittleEndian(at[4..], entries[i].Id);
        }

        return bytes;
    }
}
