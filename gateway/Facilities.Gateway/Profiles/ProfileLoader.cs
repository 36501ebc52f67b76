using System.Globalization;
using System.Text.Json;
using Facilities.Modbus.Protocol;

namespace Facilities.Gateway.Profiles;

/// <summary>A profile or site file that cannot be used. The message names the file, the JSON path and the problem.</summary>
public sealed class ConfigurationFileException(string message) : Exception(message);

/// <summary>Reads device profiles and checks every field, reporting all problems at once.</summary>
public static class ProfileLoader
{
    private static readonly Dictionary<string, PointType> Types = new(StringComparer.Ordinal)
    {
        ["bool"] = PointType.Bool, ["bit"] = PointType.Bit, ["int16"] = PointType.Int16, ["uint16"] = PointType.UInt16,
        ["int32"] = PointType.Int32, ["uint32"] = PointType.UInt32, ["int64"] = PointType.Int64, ["uint64"] = PointType.UInt64,
        ["float32"] = PointType.Float32, ["float64"] = PointType.Float64, ["string"] = PointType.String,
    };

    private static readonly Dictionary<string, RegisterTable> Tables = new(StringComparer.Ordinal)
    {
        ["coil"] = RegisterTable.Coils, ["discrete"] = RegisterTable.DiscreteInputs,
        ["input"] = RegisterTable.InputRegisters, ["holding"] = RegisterTable.HoldingRegisters,
    };

    /// <summary>Loads every *.json in <paramref name="directory"/>; profile names default to the file names.</summary>
    public static IReadOnlyDictionary<string, CompiledProfile> LoadDirectory(string directory)
    {
        if (!Directory.Exists(directory))
        {
            throw new ConfigurationFileException($"{directory}: the profiles directory does not exist");
        }

        var profiles = new Dictionary<string, CompiledProfile>(StringComparer.Ordinal);
        var errors = new List<string>();
        foreach (var path in Directory.EnumerateFiles(directory, "*.json").Order(StringComparer.Ordinal))
        {
            try
            {
                var profile = Load(path);
                if (!profiles.TryAdd(profile.Name, profile))
                {
                    errors.Add($"{path}: $.name: profile '{profile.Name}' is defined twice");
                }
            }
            catch (ConfigurationFileException e)
            {
                errors.Add(e.Message);
            }
        }

        return errors.Count == 0 ? profiles : throw new ConfigurationFileException(string.Join(Environment.NewLine, errors));
    }

    public static CompiledProfile Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigurationFileException($"{path}: cannot read: {e.Message}");
        }

        return Parse(text, path, Path.GetFileNameWithoutExtension(path));
    }

    public static CompiledProfile Parse(string json, string source, string defaultName)
    {
        DeviceProfile? profile;
        try
        {
            profile = JsonSerializer.Deserialize(json, ConfigurationJson.Default.DeviceProfile);
        }
        catch (JsonException e)
        {
            throw new ConfigurationFileException($"{source}: {e.Path ?? "$"} (line {e.LineNumber + 1}): {FirstSentence(e.Message)}");
        }

        if (profile is null)
        {
            throw new ConfigurationFileException($"{source}: $: the file is empty (null)");
        }

        var errors = new List<string>();
        var compiled = Compile(profile, defaultName, errors);
        return errors.Count == 0 ? compiled : throw new ConfigurationFileException(string.Join(Environment.NewLine, errors.Select(e => $"{source}: {e}")));
    }

    private static CompiledProfile Compile(DeviceProfile profile, string defaultName, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(profile.Kind))
        {
            errors.Add("$.kind: required (the device kind the cloud's rules know, e.g. \"elevator\")");
        }

        if (profile.PollInterval < TimeSpan.FromMilliseconds(100))
        {
            errors.Add($"$.pollInterval: {profile.PollInterval} is shorter than 100 ms");
        }

        if (profile.Heartbeat < profile.PollInterval)
        {
            errors.Add($"$.heartbeat: {profile.Heartbeat} is shorter than the poll interval {profile.PollInterval}");
        }

        if (profile.MaxGap is < 0 or > 100)
        {
            errors.Add($"$.maxGap: {profile.MaxGap} is outside 0..100");
        }

        if (profile.MaxRegistersPerRead is < 1 or > ModbusLimits.MaxReadRegisters)
        {
            errors.Add($"$.maxRegistersPerRead: {profile.MaxRegistersPerRead} is outside 1..{ModbusLimits.MaxReadRegisters}");
        }

        if (profile.Points.Count == 0)
        {
            errors.Add("$.points: a profile needs at least one point");
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        var points = new List<PointSpec>();
        for (var i = 0; i < profile.Points.Count; i++)
        {
            var before = errors.Count;
            var spec = CompilePoint(profile.Points[i], $"$.points[{i}]", profile.MaxRegistersPerRead, errors);
            if (spec is not null && !names.Add(spec.Name))
            {
                errors.Add($"$.points[{i}].name: '{spec.Name}' is used twice");
            }

            if (spec is not null && errors.Count == before)
            {
                points.Add(spec);
            }
        }

        return new CompiledProfile(
            string.IsNullOrWhiteSpace(profile.Name) ? defaultName : profile.Name, profile.Kind, profile.Description,
            profile.PollInterval, profile.Priority, profile.Heartbeat, profile.MaxGap, profile.MaxRegistersPerRead, points);
    }

    private static PointSpec? CompilePoint(ProfilePoint point, string at, int maxRegisters, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(point.Name))
        {
            errors.Add($"{at}.name: required");
        }

        if (!Tables.TryGetValue(point.Table, out var table))
        {
            errors.Add($"{at}.table: '{point.Table}' is not one of coil, discrete, input, holding");
            return null;
        }

        if (!Types.TryGetValue(point.Type, out var type))
        {
            errors.Add($"{at}.type: '{point.Type}' is not one of {string.Join(", ", Types.Keys)}");
            return null;
        }

        var bits = table.IsBits();
        if (bits != (type == PointType.Bool))
        {
            errors.Add(bits
                ? $"{at}.type: a {point.Table} holds single bits; its type must be bool"
                : $"{at}.type: bool is for coils and discrete inputs; use bit with \"bit\": n for a bit of a register");
        }

        var count = type switch
        {
            PointType.Int32 or PointType.UInt32 or PointType.Float32 => 2,
            PointType.Int64 or PointType.UInt64 or PointType.Float64 => 4,
            PointType.String => point.Length ?? 0,
            _ => 1,
        };
        if (type == PointType.String && count is < 1 or > ModbusLimits.MaxReadRegisters)
        {
            errors.Add($"{at}.length: a string needs its length in registers (1..125)");
        }

        if (count > maxRegisters)
        {
            errors.Add($"{at}: spans {count} registers but the device reads at most {maxRegisters} at once");
        }

        if (point.Address is < 0 || point.Address + count > 0x10000)
        {
            errors.Add($"{at}.address: {point.Address} is outside 0..65535 (use 0-based PDU addresses, not 40001-style numbers)");
        }

        if (type == PointType.Bit && point.Bit is not (>= 0 and <= 15))
        {
            errors.Add($"{at}.bit: a bit point needs \"bit\": 0..15");
        }

        if (point.ByteOrder is not ("big" or "little"))
        {
            errors.Add($"{at}.byteOrder: '{point.ByteOrder}' is not big or little");
        }

        if (point.WordOrder is not ("big" or "little"))
        {
            errors.Add($"{at}.wordOrder: '{point.WordOrder}' is not big or little");
        }

        if (point.Role is not ("telemetry" or "event"))
        {
            errors.Add($"{at}.role: '{point.Role}' is not telemetry or event");
        }

        if (point.Scale == 0 || double.IsNaN(point.Scale) || double.IsInfinity(point.Scale))
        {
            errors.Add($"{at}.scale: {point.Scale} would lose the value");
        }

        if (point.Deadband < 0)
        {
            errors.Add($"{at}.deadband: {point.Deadband} cannot be negative");
        }

        if (point.PollInterval is { } own && own < TimeSpan.FromMilliseconds(100))
        {
            errors.Add($"{at}.pollInterval: {own} is shorter than 100 ms");
        }

        if (point.Writable && !table.IsWritable())
        {
            errors.Add($"{at}.writable: {point.Table} points cannot be written over Modbus");
        }

        Dictionary<long, string>? labels = null;
        if (point.Labels is not null)
        {
            labels = [];
            foreach (var (key, label) in point.Labels)
            {
                if (!long.TryParse(key, NumberStyles.Integer, CultureInfo.InvariantCulture, out var raw))
                {
                    errors.Add($"{at}.enum.{key}: enum keys are raw integer values");
                }
                else
                {
                    labels[raw] = label;
                }
            }
        }

        return new PointSpec
        {
            Name = point.Name,
            Table = table,
            Address = (ushort)Math.Clamp(point.Address, 0, 0xFFFF),
            Type = type,
            Count = count,
            Bit = point.Bit ?? 0,
            ByteSwap = point.ByteOrder == "little",
            WordSwap = point.WordOrder == "little",
            Scale = point.Scale,
            Offset = point.Offset,
            Unit = point.Unit,
            IsEvent = point.Role == "event",
            Deadband = point.Deadband,
            Labels = labels,
            Writable = point.Writable,
            Interval = point.PollInterval,
        };
    }

    /// <summary>The first sentence of a System.Text.Json message (the rest repeats the path and line).</summary>
    internal static string FirstSentence(string message)
    {
        var end = message.IndexOf(". ", StringComparison.Ordinal);
        return end > 0 ? message[..end] : message.TrimEnd('.');
    }
}
