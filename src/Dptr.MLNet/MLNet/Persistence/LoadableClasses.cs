using Dptr.MLNet;
using Dptr.MLNet.MLNet.Persistence;
using Microsoft.ML;

// Every transformer ML.NET can load from a model zip: (instance type, loader type, args, signature, name, loader signature).
[assembly: LoadableClass(typeof(LabelCleaningTransformer), typeof(PersistedTransformerLoader<LabelCleaningTransformer>), null,
    typeof(SignatureLoadModel), "Dptr label cleaning", "DptrLabelCleaning")]
[assembly: LoadableClass(typeof(ClipTextEmbeddingTransformer), typeof(PersistedTransformerLoader<ClipTextEmbeddingTransformer>), null,
    typeof(SignatureLoadModel), "Dptr CLIP text embedding", "DptrClipTextEmbedding")]
[assembly: LoadableClass(typeof(OrpPerturbationTransformer), typeof(PersistedTransformerLoader<OrpPerturbationTransformer>), null,
    typeof(SignatureLoadModel), "Dptr ORP perturbation", "DptrOrpPerturbation")]
[assembly: LoadableClass(typeof(DptrPretrainTransformer), typeof(PersistedTransformerLoader<DptrPretrainTransformer>), null,
    typeof(SignatureLoadModel), "Dptr pre-trained decoder", "DptrPretrainDecoder")]
[assembly: LoadableClass(typeof(DptrRecognizerTransformer), typeof(PersistedTransformerLoader<DptrRecognizerTransformer>), null,
    typeof(SignatureLoadModel), "Dptr recognizer", "DptrRecognizer")]
