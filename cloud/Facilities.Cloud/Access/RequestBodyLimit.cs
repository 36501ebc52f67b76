using Microsoft.AspNetCore.Http.Features;
using Facilities.Cloud.Http;

namespace Facilities.Cloud.Access;

/// <summary>An endpoint's own request body limit in bytes (instead of <c>Web:MaxRequestBodyBytes</c>).</summary>
internal sealed record RequestBodyLimit(long Bytes)
{
    /// <summary>Where the limit in force is kept for the 413 problem details.</summary>
    public const string ItemKey = "facilities.body-limit";
}

/// <summary>
/// Caps every request body (Kestrel's own default is 30 MB, far more than any JSON this API takes): an endpoint's
/// <see cref="RequestBodyLimit"/> or <c>Web:MaxRequestBodyBytes</c>. A declared length over the limit is refused before
/// a byte is read; a chunked body is cut off by the server when it passes the limit. Either way 413 problem details.
/// </summary>
internal sealed class RequestBodyLimiter(RequestDelegate next, WebOptions options)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var limit = context.GetEndpoint()?.Metadata.GetMetadata<RequestBodyLimit>()?.Bytes ?? options.MaxRequestBodyBytes;
        context.Items[RequestBodyLimit.ItemKey] = limit;
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = limit;
        }

        if (context.Request.ContentLength > limit)
        {
            await TooLarge(context, limit).ExecuteAsync(context);
            return;
        }

        await next(context);
    }

    public static IResult TooLarge(HttpContext context, long limit) =>
        ApiProblem.Of(StatusCodes.Status413PayloadTooLarge, "request body too large", Detail(context.Request.Path, limit));

    public static string Detail(PathString path, long limit) =>
        FormattableString.Invariant($"the request body is over the limit of {limit} bytes for {path}");
}
