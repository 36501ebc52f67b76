namespace Facilities.Cloud.Http;

/// <summary>
/// RFC 9457 problem details for every endpoint of the API and the pages: one shape, so a client reads the status, a
/// short title and a detail that names the field or the thing that is wrong.
/// </summary>
internal static class ApiProblem
{
    public static IResult Of(int status, string title, string detail) => Results.Problem(detail: detail, statusCode: status, title: title);

    /// <summary>400 problem details naming the field and its limit when a text is longer than it may be; null otherwise.</summary>
    public static IResult? TooLong(string field, string? text, int maxCharacters) => text is not null && text.Length > maxCharacters
        ? Of(StatusCodes.Status400BadRequest, "invalid request", $"'{field}' has {text.Length} characters; at most {maxCharacters} are allowed")
        : null;

    /// <summary>
    /// 400 problem details for a list query whose filter <paramref name="field"/> is not one of <paramref name="allowed"/>,
    /// or whose <c>limit</c> is outside 1 to 1000; null when both are fine.
    /// </summary>
    public static IResult? InvalidListQuery(string field, string value, IReadOnlyCollection<string> allowed, int? limit) =>
        !allowed.Contains(value) ? Of(StatusCodes.Status400BadRequest, "invalid query", $"'{field}' must be one of {string.Join(", ", allowed)}; got '{value}'")
        : limit is < 1 or > 1000 ? Of(StatusCodes.Status400BadRequest, "invalid query", $"'limit' must be between 1 and 1000; got {limit}")
        : null;
}
