namespace Facilities.Cloud.Domain;

/// <summary>Marks the domain core's assembly (the architecture test checks what it references).</summary>
public static class DomainAssembly
{
    public static System.Reflection.Assembly Assembly => typeof(DomainAssembly).Assembly;
}
