using static TorchSharp.torch;

namespace Dptr.MLNet.Modeling;

/// <summary>
/// Pure functions behind PARSeq's permutation language modelling (spec §5.1): which factorization orders
/// are trained on a batch and the attention masks each order implies.
/// </summary>
/// <remarks>
/// A permutation is over the positions of <c>[B] c1 … cL [E]</c> (length L+2). Position 0 ([B]) is always first
/// and position L+1 ([E]) always last, except in the second permutation where [E] is predicted right after [B]
/// (reverse order "with the null context for [E]").
/// </remarks>
internal static class PermutationMasks
{
    /// <summary>
    /// Generates the permutations trained for a batch whose longest label has <paramref name="labelLength"/> characters.
    /// </summary>
    /// <param name="labelLength">L, the longest label length in the batch (≥ 1).</param>
    /// <param name="permutationCount">Requested number of permutations (6 in the paper); rounded down to even, mirrored pairs.</param>
    /// <param name="random">Host-side random source for sampling.</param>
    /// <returns>Permutations of 0..L+1; the first is the identity (left-to-right), the second its mirror.</returns>
    /// <remarks>
    /// Follows PARSeq's <c>gen_tgt_perms</c>: the forward order is always first; orders come in mirrored pairs
    /// (an order and its reverse); for L &lt; 5 the sampled orders are drawn without replacement from the enumerated
    /// pool of distinct orders modulo mirroring (for L = 4 PARSeq's fixed selector of 12 of the 24 orders);
    /// for L ≥ 5 they are uniform random orders. L = 1 has a single order.
    /// </remarks>
    public static long[][] Generate(int labelLength, int permutationCount, Random random)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(labelLength, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(permutationCount, 1);
        var l = labelLength;
        if (l == 1)
            return [[0, 1, 2]];

        // Character orders (over 0..L-1) before mirroring.
        var maxPerms = Factorial(l) / 2; // distinct orders modulo mirroring
        var generated = Math.Min(Math.Max(permutationCount / 2, 1), maxPerms);
        var orders = new List<int[]> { Enumerable.Range(0, l).ToArray() };
        if (l < 5)
        {
            var all = AllPermutations(l); // lexicographic, like itertools.permutations
            IEnumerable<int> selector = l == 4
                ? [0, 3, 4, 6, 9, 10, 12, 16, 17, 18, 19, 21]
                : Enumerable.Range(0, maxPerms);
            var pool = selector.Select(i => all[i]).Skip(1).ToList(); // the forward order is already in
            var need = generated - orders.Count;
            // Sample `need` distinct pool entries (partial Fisher-Yates).
            for (var i = 0; i < need; i++)
            {
                var j = i + random.Next(pool.Count - i);
                (pool[i], pool[j]) = (pool[j], pool[i]);
                orders.Add(pool[i]);
            }
        }
        else
        {
            while (orders.Count < generated)
            {
                var p = Enumerable.Range(0, l).ToArray();
                random.Shuffle(p);
                orders.Add(p);
            }
        }

        var perms = new List<long[]>();
        foreach (var order in orders)
        {
            perms.Add(Wrap(order, l));
            perms.Add(Wrap(order.Reverse().ToArray(), l));
        }
        // Second permutation: [B], then [E], then the characters right to left.
        for (var i = 1; i <= l + 1; i++)
            perms[1][i] = l + 1 - (i - 1);
        return perms.ToArray();
    }

    /// <summary>
    /// The content and query attention masks a permutation implies (PARSeq's <c>generate_attn_masks</c>).
    /// True means "may not attend". Both are <c>[L+1, L+1]</c> over positions 0..L (keys: [B], c1..cL).
    /// </summary>
    /// <param name="perm">A permutation of 0..L+1 from <see cref="Generate"/>.</param>
    /// <returns>
    /// <c>content[i, j]</c>: content position i may not see position j (j comes after i in the order; a position sees itself).
    /// <c>query[i, j]</c>: the query predicting position i+1 may not see content position j (j is i+1 itself or comes after i+1).
    /// </returns>
    public static (bool[,] Content, bool[,] Query) Build(IReadOnlyList<long> perm)
    {
        var size = perm.Count;
        var mask = new bool[size, size];
        for (var i = 0; i < size; i++)
            for (var k = i + 1; k < size; k++)
                mask[perm[i], perm[k]] = true;
        var content = new bool[size - 1, size - 1];
        var query = new bool[size - 1, size - 1];
        for (var i = 0; i < size - 1; i++)
            for (var j = 0; j < size - 1; j++)
            {
                content[i, j] = mask[i, j];
                query[i, j] = mask[i + 1, j] || i + 1 == j;
            }
        return (content, query);
    }

    /// <summary>
    /// The additive attention masks of PARSeq's permutation objective for a batch: for every order, the content and
    /// query masks of <see cref="Build"/>, combined with the keys no position may see ([E] and [P] inputs). Built on
    /// the host in one array per kind and moved to the device once.
    /// </summary>
    /// <param name="perms">Orders over 0..n (n = longest label + 1).</param>
    /// <param name="keyBlocked">[B, n] true where an input may not be a context.</param>
    /// <param name="dtype">Mask dtype (the memory's).</param>
    /// <returns>Content and query masks [P·B, 1, n, n], order-major (matching <c>repeat(P, 1)</c> of the inputs).</returns>
    public static (Tensor Content, Tensor Query) AttentionMasks(long[][] perms, Tensor keyBlocked, ScalarType dtype)
    {
        var b = keyBlocked.shape[0];
        var n = keyBlocked.shape[1];
        var p = perms.Length;
        var content = new bool[p * n * n];
        var query = new bool[p * n * n];
        for (var k = 0; k < p; k++)
        {
            if (perms[k].Length != n + 1)
                throw new ArgumentException($"Order {k} has {perms[k].Length} positions; the batch needs {n + 1}.", nameof(perms));
            var (c, q) = Build(perms[k]);
            for (var i = 0; i < n; i++)
                for (var j = 0; j < n; j++)
                {
                    content[(k * n + i) * n + j] = c[i, j];
                    query[(k * n + i) * n + j] = q[i, j];
                }
        }
        // [P, 1, n, n] | [1, B, 1, n] → [P·B, 1, n, n]
        var keys = keyBlocked.view(1, b, 1, n);
        var contentMask = TensorMath.AdditiveMask(tensor(content, [p, 1, n, n]).to(keyBlocked.device).logical_or(keys).view(p * b, 1, n, n), dtype);
        var queryMask = TensorMath.AdditiveMask(tensor(query, [p, 1, n, n]).to(keyBlocked.device).logical_or(keys).view(p * b, 1, n, n), dtype);
        return (contentMask, queryMask);
    }

    /// <summary>Left-to-right causal mask <c>[n, n]</c>, true above the diagonal (position i sees 0..i).</summary>
    /// <param name="n">Size.</param>
    public static bool[,] Causal(int n)
    {
        var m = new bool[n, n];
        for (var i = 0; i < n; i++)
            for (var j = i + 1; j < n; j++)
                m[i, j] = true;
        return m;
    }

    private static long[] Wrap(int[] order, int l)
    {
        var p = new long[l + 2];
        p[0] = 0;
        for (var i = 0; i < l; i++)
            p[i + 1] = order[i] + 1;
        p[l + 1] = l + 1;
        return p;
    }

    private static int Factorial(int n)
    {
        var f = 1;
        for (var i = 2; i <= n; i++)
            f = f > int.MaxValue / i ? int.MaxValue : f * i;
        return f;
    }

    private static List<int[]> AllPermutations(int n)
    {
        var result = new List<int[]>();
        var a = Enumerable.Range(0, n).ToArray();
        while (true)
        {
            result.Add((int[])a.Clone());
            // Next lexicographic permutation.
            var i = n - 2;
            while (i >= 0 && a[i] >= a[i + 1]) i--;
            if (i < 0) return result;
            var j = n - 1;
            while (a[j] <= a[i]) j--;
            (a[i], a[j]) = (a[j], a[i]);
            Array.Reverse(a, i + 1, n - i - 1);
        }
    }
}
