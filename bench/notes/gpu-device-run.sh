#!/bin/bash
# Prepared for a session that is lent a GPU machine (the workplace's `device` tool; issue 12, part 6). Not run
# by CI or tests. That machine has no Node and no registry, so it travels in an ignored folder .gpu/ (git's
# info/exclude) carried with build/:
#   xz -T2 -6 -c "$(command -v node)" > .gpu/node.xz      # the official Node binary is ~24 MB compressed
#   .gpu/nm.tar.xz: node_modules/ with only the files a bench run loads (log require.cache at exit), the
#     wasm-out/ folder, and from `npm install webgpu@0.6.2 @tensorflow/tfjs-backend-webgpu@4.22.0`:
#     tfjs-backend-webgpu's package.json + dist/tf-backend-webgpu.node.js, webgpu's package.json, index.js
#     and dist/linux-x64/ (~6 MB compressed in all)
#   .gpu/libvulkan1_*.deb: `apt-get download libvulkan1` (the Vulkan loader Dawn dlopens)
#   cp bench/notes/gpu-device-run.sh .gpu/run.sh
# then: run(command "bash .gpu/run.sh 2>&1", carry [".gpu", "build"], timeout_s 590); it takes ~5 minutes.
set -u
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
SECONDS_PER=${SECONDS_PER:-3}
mkdir -p /tmp/nodebin && xz -dc .gpu/node.xz > /tmp/nodebin/node && chmod +x /tmp/nodebin/node && export PATH=/tmp/nodebin:$PATH
rm -rf node_modules && tar xJf .gpu/nm.tar.xz
if [ "${SKIP_DEB:-}" = "" ]; then for f in .gpu/*.deb; do dpkg -x "$f" /; done; ldconfig; fi
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
[ -f $icd ] && export VK_DRIVER_FILES=$icd
{ date -u; nvidia-smi -L 2>&1; nproc; grep -m1 "model name" /proc/cpuinfo; grep -o -m1 "avx512f" /proc/cpuinfo; node --version;
  python3 -c "import torch; print('torch', torch.__version__, torch.cuda.is_available())" 2>&1; ls /usr/local/nvidia/share/vulkan/icd.d 2>&1; ldconfig -p | grep libvulkan; } 2>&1 | tee "$OUT/machine.txt"
echo "== 1 webgpu"; timeout 110 node build/bench/webgpu-matmul.js --sizes ${SIZES:-256,1024,2048,4096} --seconds 1.5 2>&1 | tee "$OUT/webgpu.txt"
echo "== 2 torch cuda"; timeout 140 python3 bench/torch_gan.py --models ${TORCH_MODELS:-vanilla,dcgan,cgan,acgan,wgan-gp,sngan-mlp,bigan,vae-gan,toy-gan,wgan-gp-toy} --seconds $SECONDS_PER --device ${TORCH_DEVICE:-cuda} 2>"$OUT/torch-cuda.err" | tee "$OUT/torch-cuda.json"; tail -3 "$OUT/torch-cuda.err"
echo "== 3 bench on the CPUs"; timeout ${BENCH_LIMIT:-270} node build/bench/run.js --models ${BENCH_MODELS:-vanilla,dcgan,toy-gan,wgan-gp-toy} --seconds $SECONDS_PER --rounds 1 --torch-threads 1,$(nproc) --out "$OUT/bench-cpu.json" 2>&1 | tee "$OUT/bench-cpu.txt" | tail -30
