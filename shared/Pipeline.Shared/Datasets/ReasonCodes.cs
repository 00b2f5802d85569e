// Stable reason codes for rejected rows and unusable files: reports, dashboards and tests key on these strings.
namespace Pipeline.Shared.Datasets;

public static class ReasonCodes
{
    // Rows
    public const string MalformedJson = "malformed_json";
    public const string MissingField = "missing_field";
    public const string WrongType = "wrong_type";
    public const string EmptyField = "empty_field";
    public const string IdenticalPair = "identical_pair";
    public const string InvalidRoleOrder = "invalid_role_order";
    public const string InvalidEncoding = "invalid_encoding";
    public const string TooLong = "too_long";
    public const string DuplicatePair = "duplicate_pair";
    public const string UnknownSchema = "unknown_schema";

    // Files
    public const string EmptyFile = "empty_file";
    public const string FileTooLarge = "file_too_large";
    public const string TooFewRows = "too_few_rows";
    public const string RejectedShareTooHigh = "rejected_share_too_high";
    public const string UnsupportedContainer = "unsupported_container";
    public const string UnreadableFile = "unreadable_file";
}
