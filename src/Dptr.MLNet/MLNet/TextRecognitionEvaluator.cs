using Dptr.MLNet.Evaluation;
using Dptr.MLNet.MLNet.Training;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Dptr.MLNet.MLNet;

/// <summary>Reads label / prediction / confidence columns and computes <see cref="TextRecognitionMetrics"/>.</summary>
internal static class TextRecognitionEvaluator
{
    public static TextRecognitionMetrics Evaluate(IDataView data, string labelColumn, string predictionColumn, string? confidenceColumn, int worst)
    {
        DataViewBatches.TextGetterCheck(data.Schema, labelColumn);
        DataViewBatches.TextGetterCheck(data.Schema, predictionColumn);
        var columns = new List<string> { labelColumn, predictionColumn };
        bool withConfidence = confidenceColumn is not null && data.Schema.GetColumnOrNull(confidenceColumn) is { } c && c.Type == NumberDataViewType.Single;
        if (confidenceColumn is not null && !withConfidence && data.Schema.GetColumnOrNull(confidenceColumn) is not null)
            throw new ArgumentException($"confidence column '{confidenceColumn}' must be a float (Single) column");
        if (withConfidence) columns.Add(confidenceColumn!);
        var calculator = new TextRecognitionMetricsCalculator(worst);
        foreach (var batch in DataViewBatches.Read<(string, string, double?)>(data, columns, 256, row =>
                 {
                     var label = DataViewBatches.TextGetter(row, labelColumn);
                     var prediction = DataViewBatches.TextGetter(row, predictionColumn);
                     ValueGetter<float>? confidence = withConfidence ? row.GetGetter<float>(row.Schema[confidenceColumn!]) : null;
                     return _ =>
                     {
                         float conf = 0;
                         confidence?.Invoke(ref conf);
                         return (prediction() ?? "", label() ?? "", withConfidence ? conf : null);
                     };
                 }))
        {
            foreach (var (p, g, conf) in batch) calculator.Add(p, g, conf);
        }
        return calculator.Compute();
    }
}
