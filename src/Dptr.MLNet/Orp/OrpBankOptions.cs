
namespace Dptr.MLNet;

/// <summary>Options of <see cref="OrpBank.Build(ClipModel, string, OrpBankOptions?, IProgress{OrpBankBuildProgress}?, CancellationToken)"/>.</summary>
public sealed class OrpBankOptions
{
    /// <summary>Image preprocessing; CLIP's center crop by default (spec §2.2).</summary>
    public ClipResizeMode ResizeMode { get; set; } = ClipResizeMode.CenterCrop;

    /// <summary>Images per CLIP forward pass.</summary>
    public int BatchSize { get; set; } = 16;

    /// <summary>Skip (and count) images that cannot be decoded instead of failing.</summary>
    public bool SkipUnreadableImages { get; set; }

    /// <summary>Also search sub-folders.</summary>
    public bool Recursive { get; set; }
}
