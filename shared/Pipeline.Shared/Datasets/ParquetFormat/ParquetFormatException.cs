// A Parquet file this reader cannot read: corrupt, truncated, lying about its sizes, or using a feature it does not support.
namespace Pipeline.Shared.Datasets.ParquetFormat;

public class ParquetFormatException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Thrift bytes ended inside a structure: corrupt in a footer, or a page header longer than the bytes read so far.</summary>
public sealed class ThriftTruncatedException(string message) : ParquetFormatException(message);
