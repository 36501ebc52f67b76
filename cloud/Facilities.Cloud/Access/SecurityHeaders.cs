namespace Facilities.Cloud.Access;

/// <summary>
/// Headers on every response, pages and API alike, error responses included (set as the response starts, after any
/// exception handler cleared it). The pages run only their own scripts and styles from <c>/assets</c> (no inline
/// script, style attribute or event handler; the page data is a JSON block, which CSP does not execute), so a policy
/// of 'self' costs nothing and turns an injected script tag into a refused one. No framing anywhere (clickjacking);
/// the Referer leaves only for this site (it carries page paths, and the CSRF check may fall back to it).
/// </summary>
internal sealed class SecurityHeaders(RequestDelegate next)
{
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; "
        + "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    public Task InvokeAsync(HttpContext context)
    {
        context.Response.OnStarting(static state =>
        {
            var headers = ((HttpResponse)state).Headers;
            headers.ContentSecurityPolicy = ContentSecurityPolicy;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY"; // frame-ancestors for browsers that predate it
            headers["Referrer-Policy"] = "same-origin";
            headers["Cross-Origin-Opener-Policy"] = "same-origin";
            return Task.CompletedTask;
        }, context.Response);
        return next(context);
    }
}
