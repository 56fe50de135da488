namespace Dptr.MLNet;

/// <summary>What a saved DPTR model zip holds (<see cref="DptrModelFile.GetKind"/>).</summary>
public enum DptrModelKind
{
    /// <summary>An ML.NET model with neither DPTR stage.</summary>
    Other,

    /// <summary>A text-only pre-training chain (<c>DptrPretrain</c>, stage A): a decoder for fine-tuning, it cannot read images.</summary>
    Pretraining,

    /// <summary>A recognizer (<c>DptrRecognizer</c>, stage B): reads images.</summary>
    Recognizer,
}
