using System.Globalization;

namespace Facilities.Gateway.Profiles;

/// <summary>
/// How precisely an engineering value is published. An integer register times a decimal scale plus a decimal offset
/// is exactly a decimal with as many places as the scale and offset have (514 × 0.1 is 51.4), but binary arithmetic
/// adds noise below that (51.400000000000006); rounding to those places gives back the double nearest to the exact
/// decimal, which serializes as the short text. Float registers carry their own precision: a float32 is widened
/// through its shortest decimal form (0.1f is 0.1, not 0.10000000149011612) and scale or offset arithmetic on a float
/// is rounded to the 15 significant digits a double holds. Pure; no I/O.
/// </summary>
internal static class ValuePrecision
{
    /// <summary>Marks a point whose values are rounded to significant digits rather than decimal places.</summary>
    public const int Significant = -1;

    // Math.Round takes at most 15 decimal places.
    private const int MaxDecimals = 15;

    /// <summary>
    /// Decimal places of raw × <paramref name="scale"/> + <paramref name="offset"/> for an integer raw value:
    /// the places of the scale or of the offset, whichever has more (0.1 → 1, 0.25 → 2, 1e-4 → 4, 10 → 0);
    /// <see cref="Significant"/> when that is beyond what a double can round to.
    /// </summary>
    public static int DecimalsOf(double scale, double offset)
    {
        var decimals = Math.Max(DecimalsOf(scale), DecimalsOf(offset));
        return decimals > MaxDecimals ? Significant : decimals;
    }

    /// <summary>Rounds <paramref name="value"/> to <paramref name="decimals"/> places (or 15 significant digits for <see cref="Significant"/>).</summary>
    public static double Round(double value, int decimals)
    {
        if (!double.IsFinite(value))
        {
            return value;
        }

        return decimals is >= 0 and <= MaxDecimals
            ? Math.Round(value, decimals, MidpointRounding.AwayFromZero)
            : RoundSignificant(value);
    }

    /// <summary>Rounds to the 15 significant digits a double carries exactly through decimal text, dropping arithmetic noise below them.</summary>
    public static double RoundSignificant(double value) =>
        double.IsFinite(value) ? double.Parse(value.ToString("G15", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture) : value;

    /// <summary>A float32 as the double with the same shortest decimal text (what the device meant), not its binary widening.</summary>
    public static double Widen(float value) =>
        float.IsFinite(value) ? double.Parse(value.ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture) : value;

    /// <summary>
    /// Whether two published values are at least <paramref name="deadband"/> apart. The difference of two rounded
    /// decimals carries binary noise of a few units in the last place of the larger one (0.3 − 0.2 is
    /// 0.09999999999999998), so a move of exactly the deadband must not be lost to it.
    /// </summary>
    public static bool MovedBy(double last, double now, double deadband)
    {
        var largest = Math.Max(Math.Max(Math.Abs(last), Math.Abs(now)), deadband);
        var noise = 4 * (Math.BitIncrement(largest) - largest);
        return Math.Abs(now - last) + noise >= deadband;
    }

    private static int DecimalsOf(double number)
    {
        if (!double.IsFinite(number) || number == Math.Floor(number))
        {
            return 0;
        }

        // The shortest text that reads back as the same double is the decimal the profile wrote ("0.1", "1E-05").
        var text = Math.Abs(number).ToString("R", CultureInfo.InvariantCulture);
        var exponentAt = text.IndexOfAny(['E', 'e']);
        var exponent = exponentAt < 0 ? 0 : int.Parse(text.AsSpan(exponentAt + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        var mantissa = exponentAt < 0 ? text : text[..exponentAt];
        var point = mantissa.IndexOf('.', StringComparison.Ordinal);
        var places = point < 0 ? 0 : mantissa.Length - point - 1;
        return Math.Max(0, places - exponent);
    }
}
