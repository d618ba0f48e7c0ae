using System.CommandLine;
using System.Text.Json;
using IlgpuSnn.Training;

namespace IlgpuSnn.Cli;

/// <summary>
/// The one error path of every command: a failure prints one line naming what went wrong (the file or option is in
/// the message) and exits non-zero (2 for a user's mistake or environment, 1 for an internal error, 130 when stopped);
/// <c>--verbose</c> prints the whole exception with its stack trace instead.
/// </summary>
internal static class CliErrors
{
    /// <summary>Exit code of a user's mistake (bad option, bad file, not enough memory, non-finite training).</summary>
    public const int UserError = 2;

    /// <summary>Exit code of an unexpected internal error.</summary>
    public const int InternalError = 1;

    /// <summary>Exit code after Ctrl-C (128 + SIGINT).</summary>
    public const int Interrupted = 130;

    /// <summary>The option that shows stack traces, valid on every command.</summary>
    public static Option<bool> Verbose { get; } = new("--verbose") { Description = "On an error, print the full exception with its stack trace.", Recursive = true };

    /// <summary>Runs <paramref name="body"/> and turns any exception into one line on standard error and an exit code.</summary>
    public static int Run(string command, ParseResult parse, Func<int> body)
    {
        ArgumentNullException.ThrowIfNull(parse);
        ArgumentNullException.ThrowIfNull(body);
        try
        {
            return body();
        }
        catch (Exception e)
        {
            var inner = e is AggregateException { InnerExceptions.Count: 1 } a ? a.InnerExceptions[0] : e;
            if (parse.GetValue(Verbose)) Console.Error.WriteLine(inner.ToString());
            if (inner is OperationCanceledException)
            {
                Console.Error.WriteLine($"snn {command}: stopped.");
                return Interrupted;
            }
            bool user = IsUserError(inner);
            if (!parse.GetValue(Verbose))
            {
                var line = OneLine(inner.Message);
                if (line.StartsWith(command + ":", StringComparison.Ordinal)) line = line[(command.Length + 1)..].TrimStart();
                Console.Error.WriteLine(user
                    ? $"snn {command}: {line}"
                    : $"snn {command}: internal error ({inner.GetType().Name}): {line} (run with --verbose for the stack trace)");
            }
            return user ? UserError : InternalError;
        }
    }

    /// <summary>Whether <paramref name="e"/> reports something the user can fix (input, options, files, memory, data).</summary>
    public static bool IsUserError(Exception e) => e is ArgumentException or IOException or InvalidDataException or FormatException
        or UnauthorizedAccessException or JsonException or NonFiniteException or ResumeMismatchException or OutOfMemoryException
        or InsufficientMemoryException or ArithmeticException or NotSupportedException;

    private static string OneLine(string message) => string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
