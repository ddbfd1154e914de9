"""The layout experiment behind sim/kernel.py's choice: members outermost (m, ny, nx) or innermost (ny, nx, m).

Two stripped-down kernels of the same update (precomputed east/south face weights, per-member per-cell L and Q,
no temporal blocking) on the real 10 km grid, timed interleaved with the plain Fisher-KPP kernel on a square of
the same number of cells, one thread, the calling thread's CPU time (robust on a shared machine):

* ``outer``: (m, ny, nx), runs of 16-column chunks (interior without weights / weighted / outside), spatial
  vectorisation along rows; what sim/kernel.py grew from;
* ``inner``: (ny, nx, m), one kernel compiled per member count so that the member loop has a constant trip count
  and vectorises across members in every cell, borders and coasts included.

    python benchmarks/bench_layout.py 1 8 32
"""
import time, statistics, sys
import numpy as np, numba
from numba import njit, prange, uint64
sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))
from sim.kernel import fisher_kpp_advance

CH = 16

def faces(cid, perm):
    ny, nx = cid.shape
    we = np.zeros((ny, nx), np.float32); ws = np.zeros((ny, nx), np.float32)
    we[:, :-1] = perm[cid[:, :-1], cid[:, 1:]]
    ws[:-1, :] = perm[cid[:-1, :], cid[1:, :]]
    return we, ws

def flags_of(cid, we, ws):
    ny, nx = cid.shape
    nch = -(-nx // CH)
    fl = np.zeros((ny, nch), np.uint8)
    wn = np.zeros_like(ws); wn[1:] = ws[:-1]
    ww = np.zeros_like(we); ww[:, 1:] = we[:, :-1]
    ones = (we == 1) & (ws == 1) & (wn == 1) & (ww == 1)
    out = cid == 0
    for jc in range(nch):
        sl = slice(jc*CH, min(nx, (jc+1)*CH))
        fl[:, jc] = np.where(ones[:, sl].all(1), 1, np.where(out[:, sl].all(1), 2, 0))
    return fl

@njit(parallel=True, fastmath=False)
def outer(u, buf, we, ws, fl, coef, L, Q, m, ny, nx, nsteps):
    nch = (nx + CH - 1) // CH
    src, dst = u, buf
    u1 = uint64(1)
    for _ in range(nsteps):
        for item in prange(m * ny):
            k = item // ny
            i = item - k * ny
            oc = item * nx
            on = oc - nx if i > 0 else oc
            os = oc + nx if i < ny - 1 else oc
            wo = i * nx
            wno = wo - nx if i > 0 else wo
            c = coef[k]
            jc = 0
            while jc < nch:
                f = fl[i * nch + jc]
                j0 = jc * CH
                jc += 1
                while jc < nch and fl[i * nch + jc] == f:
                    jc += 1
                j1 = min(jc * CH, nx)
                if f == 2:
                    for j in range(j0, j1):
                        dst[oc + j] = 0
                elif f == 1:
                    b = uint64(oc + j0); bn = uint64(on + j0); bs = uint64(os + j0)
                    for t in range(j1 - j0):
                        jj = uint64(t)
                        v = src[b + jj]
                        lap = (src[bn + jj] - v) + (src[bs + jj] - v) + (src[b + jj - u1] - v) + (src[b + jj + u1] - v)
                        dst[b + jj] = v + c * lap + v * (L[b + jj] - Q[b + jj] * v)
                else:
                    a0 = max(j0, 1)
                    a1 = min(j1, nx - 1)
                    if j0 == 0:
                        edge(src, dst, we, ws, L, Q, c, oc, on, os, wo, wno, 0, nx)
                    b = uint64(oc + a0); bn = uint64(on + a0); bs = uint64(os + a0)
                    w0 = uint64(wo + a0); wn0 = uint64(wno + a0)
                    for t in range(a1 - a0):
                        jj = uint64(t)
                        v = src[b + jj]
                        lap = (ws[wn0 + jj] * (src[bn + jj] - v) + ws[w0 + jj] * (src[bs + jj] - v)
                               + we[w0 + jj - u1] * (src[b + jj - u1] - v) + we[w0 + jj] * (src[b + jj + u1] - v))
                        dst[b + jj] = v + c * lap + v * (L[b + jj] - Q[b + jj] * v)
                    if j1 == nx and nx > 1:
                        edge(src, dst, we, ws, L, Q, c, oc, on, os, wo, wno, nx - 1, nx)
        src, dst = dst, src
    return nsteps

@njit(inline="always")
def edge(src, dst, we, ws, L, Q, c, oc, on, os, wo, wno, j, nx):
    jw = j - 1 if j > 0 else j
    je = j + 1 if j < nx - 1 else j
    v = src[oc + j]
    lap = (ws[wno + j] * (src[on + j] - v) + ws[wo + j] * (src[os + j] - v)
           + (we[wo + jw] if j > 0 else v - v) * (src[oc + jw] - v) + we[wo + j] * (src[oc + je] - v))
    dst[oc + j] = v + c * lap + v * (L[oc + j] - Q[oc + j] * v)

def make_inner(M):
    @njit(parallel=True)
    def inner(u, buf, we, ws, mask, coef, L, Q, ny, nx, nsteps):
        src, dst = u, buf
        row = nx * M
        for _ in range(nsteps):
            for i in prange(ny):
                oc = i * row
                on = oc - row if i > 0 else oc
                os = oc + row if i < ny - 1 else oc
                wo = i * nx
                wno = wo - nx if i > 0 else wo
                for j in range(nx):
                    b = oc + j * M
                    bw = b - M if j > 0 else b
                    be = b + M if j < nx - 1 else b
                    bn = on + j * M
                    bs = os + j * M
                    wn_ = ws[wno + j]; ws_ = ws[wo + j]; ww_ = we[wo + j - 1] if j > 0 else we[wo + j]*0; we_ = we[wo + j]
                    for kk in range(M):
                        v = src[b + kk]
                        lap = wn_ * (src[bn + kk] - v) + ws_ * (src[bs + kk] - v) + ww_ * (src[bw + kk] - v) + we_ * (src[be + kk] - v)
                        dst[b + kk] = v + coef[kk] * lap + v * (L[b + kk] - Q[b + kk] * v)
            src, dst = dst, src
        return nsteps
    return inner

def timeit(f, reps=7, n=None):
    f(2)
    t = time.thread_time(); f(3); per = (time.thread_time()-t)/3
    n = n or max(1, int(0.3/per))
    s = []
    for _ in range(reps):
        t = time.thread_time(); f(n); s.append((time.thread_time()-t)/n)
    return statistics.median(s)

numba.set_num_threads(1)
from sim.forcing import scenario_grid  # noqa: E402
from sim.scenario import Scenario  # noqa: E402
cid = np.ascontiguousarray(scenario_grid(Scenario.load(
    __import__("pathlib").Path(__file__).resolve().parents[1] / "scenarios" / "withdrawal.toml")).country_id, np.uint8)
ny, nx = cid.shape
perm = np.ones((19, 19), np.float32); perm[0] = perm[:, 0] = 0
we, ws = faces(cid, perm)
fl = flags_of(cid, we, ws)
print("flags share", [(fl == v).mean() for v in (0, 1, 2)])
rng = np.random.default_rng(0)
for m in [int(a) for a in sys.argv[1:]] or [8]:
    u0 = (rng.random((m, ny, nx)) * (cid > 0)).astype(np.float32)
    L = np.full((m, ny, nx), 1e-3, np.float32) * (cid > 0); Q = np.full((m, ny, nx), 2e-3, np.float32) * (cid > 0)
    coef = np.linspace(0.1, 0.2, m).astype(np.float32)
    st = {"u": u0.ravel().copy(), "b": np.zeros(u0.size, np.float32)}
    Lf, Qf = L.ravel().copy(), Q.ravel().copy()
    def fo(k):
        outer(st["u"], st["b"], we.ravel(), ws.ravel(), fl.ravel(), coef, Lf, Qf, m, ny, nx, k)
    to = timeit(fo)
    inner = make_inner(m)
    ui = np.ascontiguousarray(u0.transpose(1, 2, 0)).ravel()
    Li = np.ascontiguousarray(L.transpose(1, 2, 0)).ravel(); Qi = np.ascontiguousarray(Q.transpose(1, 2, 0)).ravel()
    st2 = {"u": ui.copy(), "b": np.zeros_like(ui)}
    mask = (cid > 0).astype(np.uint8).ravel()
    def fi(k):
        inner(st2["u"], st2["b"], we.ravel(), ws.ravel(), mask, coef, Li, Qi, ny, nx, k)
    ti = timeit(fi)
    # check agreement after 5 steps
    a = u0.ravel().copy(); ab = np.zeros_like(a); outer(a, ab, we.ravel(), ws.ravel(), fl.ravel(), coef, Lf, Qf, m, ny, nx, 5)
    b = ui.copy(); bb = np.zeros_like(b); inner(b, bb, we.ravel(), ws.ravel(), mask, coef, Li, Qi, ny, nx, 5)
    diff = np.abs(ab.reshape(m, ny, nx) - bb.reshape(ny, nx, m).transpose(2, 0, 1)).max()
    n = int(round((m * ny * nx) ** 0.5))
    sq = rng.random((n, n)).astype(np.float32); sqb = np.empty_like(sq)
    tf = timeit(lambda k: fisher_kpp_advance(sq, sqb, 0.2, 0.01, k))
    cells = m * ny * nx
    print(f"m={m}: outer {cells/to:.3e}  inner {cells/ti:.3e}  fkpp {n}² {n*n/tf:.3e}  outer/fkpp {cells/to/(n*n/tf):.2f} inner/fkpp {cells/ti/(n*n/tf):.2f} diff {diff:.1e}", flush=True)
