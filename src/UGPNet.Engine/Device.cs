namespace UGPNet.Engine;

public enum DeviceKind { Cpu, Cuda, OpenCL }

/// <summary>Where a tensor lives: "cpu", "cuda:N" or "opencl:N".</summary>
public readonly record struct Device(DeviceKind Kind, int Index = 0)
{
    public static readonly Device Cpu = new(DeviceKind.Cpu);

    public override string ToString() => Kind switch
    {
        DeviceKind.Cpu => "cpu",
        DeviceKind.Cuda => $"cuda:{Index}",
        _ => $"opencl:{Index}",
    };

    /// <summary>Parses "cpu", "cuda", "cuda:N", "opencl", "opencl:N". ("auto" is resolved by the backend registry.)</summary>
    public static Device Parse(string text)
    {
        string t = text.Trim().ToLowerInvariant();
        if (t == "cpu") return Cpu;
        string[] parts = t.Split(':');
        DeviceKind? kind = parts[0] switch { "cuda" => DeviceKind.Cuda, "opencl" => DeviceKind.OpenCL, _ => null };
        if (kind == null || parts.Length > 2)
            throw new ArgumentException($"unknown device '{text}': expected cpu, cuda:N, opencl:N or auto");
        int index = 0;
        if (parts.Length == 2 && (!int.TryParse(parts[1], out index) || index < 0))
            throw new ArgumentException($"device '{text}': the index after ':' must be a non-negative integer");
        return new Device(kind.Value, index);
    }
}
