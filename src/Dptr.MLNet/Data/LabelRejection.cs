namespace Dptr.MLNet.Data;

/// <summary>Why <see cref="LabelFilter"/> dropped a label.</summary>
public enum LabelRejection
{
    /// <summary>The label was kept.</summary>
    None = 0,

    /// <summary>The label was empty after cleaning.</summary>
    Empty = 1,

    /// <summary>The label was longer than <see cref="LabelFilter.MaxLength"/> after cleaning.</summary>
    TooLong = 2,

    /// <summary>The label held a character outside <see cref="LabelFilter.AllowedChars"/>.</summary>
    OutsideCharset = 3,

    /// <summary>The user predicate <see cref="LabelFilter.Predicate"/> rejected the label.</summary>
    Predicate = 4,
}
