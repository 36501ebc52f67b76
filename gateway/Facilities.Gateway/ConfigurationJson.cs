using System.Text.Json;
using System.Text.Json.Serialization;
using Facilities.Gateway.Profiles;
using Facilities.Gateway.Site;

namespace Facilities.Gateway;

/// <summary>
/// How the gateway reads its own files (device profiles, the site file): camelCase, comments and trailing commas
/// allowed, unknown fields refused so a misspelt field is an error rather than a silent default. Source-generated,
/// so the gateway publishes with Native AOT.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web,
    ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(DeviceProfile))]
[JsonSerializable(typeof(SiteFile))]
internal sealed partial class ConfigurationJson : JsonSerializerContext;
