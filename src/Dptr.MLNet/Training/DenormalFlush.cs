using System.Runtime.InteropServices;

namespace Dptr.MLNet.Training;

/// <summary>
/// Turns on flush-to-zero / denormals-are-zero for libtorch's CPU kernels (PyTorch's <c>torch.set_flush_denormal(True)</c>),
/// which TorchSharp 0.107 does not expose. Without it, training slows down by an order of magnitude once optimizer
/// state and small activations decay into subnormal floats (measured: 110 → 10 samples/s within a few hundred
/// fine-tuning steps of the convolutional recognizer). Subnormals (below 1.2e-38) carry no useful signal in fp32 training.
/// </summary>
/// <remarks>
/// Calls <c>at::globalContext().setFlushDenormal(true)</c> in <c>libtorch_cpu</c> (Itanium C++ ABI names: Linux and macOS).
/// It sets the calling thread's MXCSR; threads created afterwards (libtorch's OpenMP pool, our render threads) inherit
/// it, so it is applied before the first training step on the training thread. Where the symbols are missing
/// (Windows, other builds) it does nothing.
/// </remarks>
internal static class DenormalFlush
{
    private const string Library = "torch_cpu";

    [DllImport(Library, EntryPoint = "_ZN2at13globalContextEv")]
    private static extern IntPtr GlobalContext();

    [DllImport(Library, EntryPoint = "_ZN2at7Context16setFlushDenormalEb")]
    [return: MarshalAs(UnmanagedType.U1)]
    private static extern bool SetFlushDenormal(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool on);

    /// <summary>Enables flush-to-zero on this thread; true when libtorch accepted it.</summary>
    public static bool EnableOnThisThread()
    {
        if (OperatingSystem.IsWindows()) return false;
        try
        {
            _ = TorchSharp.torch.get_num_threads(); // loads the native libraries first
            return SetFlushDenormal(GlobalContext(), true);
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            return false;
        }
    }
}
