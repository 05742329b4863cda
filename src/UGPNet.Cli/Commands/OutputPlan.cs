using UGPNet.Imaging;

namespace UGPNet.Cli.Commands;

/// <summary>
/// Output names for a folder job, fixed before any write. NAME.png (and its side outputs NAME_xreg.png, ...)
/// must not be any input (compared by real path, so links and `-i DIR -o DIR` are caught) nor an output of an
/// earlier input (a.jpg and a.png both want a.png). A clash takes the next of NAME_ext, NAME_ext_2, ...
/// Names are compared ignoring case, so the plan is safe on case-insensitive file systems too.
/// </summary>
internal static class OutputPlan
{
    public static Dictionary<string, string> Stems(IReadOnlyList<string> inputs, string outputFolder, IReadOnlyList<string> suffixes)
    {
        var taken = new HashSet<string>(inputs.Select(ImageIO.RealPath), StringComparer.OrdinalIgnoreCase);
        string realOut = ImageIO.RealPath(outputFolder);
        var stems = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var input in inputs)
        {
            string stem = Path.GetFileNameWithoutExtension(input);
            string ext = Path.GetExtension(input).TrimStart('.');
            for (int k = 0; ; k++)
            {
                string candidate = k == 0 ? stem : k == 1 ? $"{stem}_{ext}" : $"{stem}_{ext}_{k}";
                var paths = suffixes.Select(sfx => Path.Combine(realOut, candidate + sfx + ".png")).ToList();
                if (paths.Any(taken.Contains)) continue;
                foreach (var q in paths) taken.Add(q);
                stems[input] = candidate;
                break;
            }
        }
        return stems;
    }
}
