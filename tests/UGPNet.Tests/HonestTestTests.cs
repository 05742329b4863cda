using System.Text.RegularExpressions;

namespace UGPNet.Tests;

/// <summary>
/// No test passes by leaving early: a test method (marked [Fact], [Theory] or a Fact attribute of our own) holds no
/// `return;`. A test that cannot run says so through the runner's skip (a Fact attribute that sets Skip).
/// </summary>
public class HonestTestTests
{
    private static string Repo()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "UGPNet.sln"))) return d.FullName;
        throw new DirectoryNotFoundException("the repository root (UGPNet.sln) not found above the test binaries");
    }

    private static readonly Regex TestAttribute = new(@"^\s*\[(\w*Fact\w*|Theory)(\(|\])", RegexOptions.Compiled);

    /// <summary>The body of the method after line <paramref name="start"/>: from its first '{' to the matching '}'.</summary>
    private static IEnumerable<(int Line, string Text)> Body(string[] lines, int start)
    {
        int depth = 0;
        bool opened = false;
        for (int i = start; i < lines.Length; i++)
        {
            foreach (char ch in lines[i])
            {
                if (ch == '{') { depth++; opened = true; }
                else if (ch == '}') depth--;
            }
            if (opened) yield return (i + 1, lines[i]);
            if (opened && depth == 0) yield break;
            if (!opened && lines[i].TrimEnd().EndsWith(';')) yield break; // an expression-bodied test
        }
    }

    /// <summary>(test methods seen, "line: text" of each early return) in one file's lines.</summary>
    private static (int Tests, List<string> Returns) Scan(string[] lines)
    {
        var found = new List<string>();
        int tests = 0;
        for (int i = 0; i < lines.Length; i++)
        {
            if (!TestAttribute.IsMatch(lines[i]) || lines[i].Contains("Attribute")) continue;
            tests++;
            foreach (var (line, text) in Body(lines, i + 1))
                if (Regex.IsMatch(text, @"\breturn\s*;")) found.Add($"{line}: {text.Trim()}");
        }
        return (tests, found);
    }

    [Fact]
    public void The_scan_finds_an_early_return_in_a_test_and_none_in_a_helper()
    {
        const string Return = "return" + ";"; // spelled apart, so this file's own scan does not see it
        string[] sample =
        [
            "    [Fact]", "    public void A()", "    {", "        if (x == null) { Log(); " + Return + " }", "        Assert.True(y);", "    }",
            "    private static void Helper() { if (z) " + Return + " }",
            "    [Theory]", "    [InlineData(1)]", "    public void B(int k) => Assert.Equal(1, k);",
        ];
        var (tests, returns) = Scan(sample);
        Assert.Equal(2, tests);
        Assert.Equal(["4: if (x == null) { Log(); " + Return + " }"], returns);
    }

    [Fact]
    public void No_test_method_returns_early()
    {
        var offenders = new List<string>();
        int tests = 0;
        char sep = Path.DirectorySeparatorChar;
        foreach (var file in Directory.EnumerateFiles(Path.Combine(Repo(), "tests"), "*.cs", SearchOption.AllDirectories))
        {
            if (file.Contains($"{sep}bin{sep}") || file.Contains($"{sep}obj{sep}")) continue;
            var (n, returns) = Scan(File.ReadAllLines(file));
            tests += n;
            offenders.AddRange(returns.Select(r => $"{Path.GetRelativePath(Repo(), file)}:{r}"));
        }
        Assert.True(tests > 300, $"only {tests} test methods found: the scan is not reading the tests");
        Assert.True(offenders.Count == 0, "tests that return early:\n" + string.Join("\n", offenders));
    }
}
