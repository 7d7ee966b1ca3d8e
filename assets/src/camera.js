// The scanner's camera: frames → QR text (BarcodeDetector where there is one, else jsQR on a
// reduced frame), the torch.
import jsQR from "jsqr";
import { $, note, showing, t } from "./screen.js";

const FRAME_MS = 120;
const DECODE_WIDTH = 480;
const root = document.getElementById("scanner");

const camera = { stream: null, track: null, torch: false };

export function cameraOn() {
  return camera.stream !== null;
}

let detector = null;
const canvas = document.createElement("canvas");
const context2d = canvas.getContext("2d", { willReadFrequently: true });

async function makeDetector() {
  if (!("BarcodeDetector" in window)) return null;
  try {
    const formats = await window.BarcodeDetector.getSupportedFormats();
    return formats.includes("qr_code") ? new window.BarcodeDetector({ formats: ["qr_code"] }) : null;
  } catch (_error) {
    return null;
  }
}

async function readFrame(video) {
  if (detector) {
    const codes = await detector.detect(video);
    return codes.length ? codes[0].rawValue : null;
  }
  const scale = Math.min(1, DECODE_WIDTH / video.videoWidth);
  const width = Math.round(video.videoWidth * scale);
  const height = Math.round(video.videoHeight * scale);
  if (!width || !height) return null;
  canvas.width = width;
  canvas.height = height;
  context2d.drawImage(video, 0, 0, width, height);
  const image = context2d.getImageData(0, 0, width, height);
  const code = jsQR(image.data, width, height, { inversionAttempts: "dontInvert" });
  return code ? code.data : null;
}

/** Start the camera; every QR text it reads goes to `onText` (while `busy()` is false). */
export async function startCamera(onText, busy) {
  const video = $("#camera-video");
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    note(t("camera_denied"));
    return;
  }
  try {
    camera.stream = await navigator.mediaDevices.getUserMedia({
      audio: false,
      video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 }, height: { ideal: 720 } },
    });
  } catch (_error) {
    note(t("camera_denied"));
    return;
  }
  video.srcObject = camera.stream;
  await video.play().catch(() => {});
  camera.track = camera.stream.getVideoTracks()[0];
  const caps = camera.track && camera.track.getCapabilities ? camera.track.getCapabilities() : {};
  $('[data-action="torch"]').hidden = !caps.torch;
  $('[data-action="camera"]').textContent = t("camera_stop");
  root.dataset.camera = "on";
  note(t("camera_on"));
  detector = detector || (await makeDetector());
  loop(video, camera.stream, onText, busy);
}

export function stopCamera() {
  if (camera.stream) for (const track of camera.stream.getTracks()) track.stop();
  camera.stream = null;
  camera.track = null;
  root.dataset.camera = "off";
  $('[data-action="camera"]').textContent = t("camera_start");
  $('[data-action="torch"]').hidden = true;
  note(t("camera_off"));
}

function loop(video, stream, onText, busy) {
  const tick = async () => {
    if (camera.stream !== stream) return;
    if (!document.hidden && video.readyState >= 2 && !busy() && !showing()) {
      try {
        const text = await readFrame(video);
        if (text) await onText(text);
      } catch (_error) {
        /* a frame that cannot be read */
      }
    }
    setTimeout(tick, FRAME_MS);
  };
  tick();
}

export async function toggleTorch() {
  if (!camera.track) return;
  camera.torch = !camera.torch;
  try {
    await camera.track.applyConstraints({ advanced: [{ torch: camera.torch }] });
  } catch (_error) {
    camera.torch = false;
  }
  $('[data-action="torch"]').textContent = camera.torch ? t("torch_on") : t("torch_off");
}

