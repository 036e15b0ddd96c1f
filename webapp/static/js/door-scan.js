// Door page: scan ticket QR codes one after another with the phone's camera.
// Progressive enhancement: shown only where the browser has BarcodeDetector and a
// camera; everywhere else the door list's own buttons do the work.
const panel = document.getElementById("door-scan");

async function canScan() {
  if (!panel || !("BarcodeDetector" in window) || !navigator.mediaDevices?.getUserMedia) return false;
  try {
    return (await window.BarcodeDetector.getSupportedFormats()).includes("qr_code");
  } catch {
    return false;
  }
}

// The part of a scanned address after /checkin/, when it is a ticket for this site.
export function ticketToken(text, prefix) {
  if (typeof text !== "string" || !text.startsWith(prefix)) return null;
  const token = text.slice(prefix.length);
  return /^[A-Za-z0-9_-]{16,64}$/.test(token) ? token : null;
}

async function checkIn(token) {
  const body = new URLSearchParams({ csrf_token: panel.dataset.csrfToken });
  const response = await fetch(panel.dataset.checkinPrefix + token, {
    method: "POST", body, credentials: "same-origin", headers: { Accept: "application/json" },
  });
  if (!response.ok) return { message: "Not a ticket for this site, or you have been signed out." };
  return response.json();
}

async function start() {
  const video = document.getElementById("door-scan-video");
  const result = document.getElementById("door-scan-result");
  const startButton = document.getElementById("door-scan-start");
  const stopButton = document.getElementById("door-scan-stop");
  const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
  } catch {
    result.textContent = "The camera could not be opened. Use the list below instead.";
    return;
  }
  video.srcObject = stream;
  video.hidden = false;
  startButton.hidden = true;
  stopButton.hidden = false;
  await video.play();
  const seen = new Map(); // token -> when it was last handled, so one ticket is sent once
  let running = true;
  stopButton.addEventListener("click", () => {
    running = false;
    stream.getTracks().forEach((track) => track.stop());
    video.hidden = true;
    stopButton.hidden = true;
    startButton.hidden = false;
  }, { once: true });
  while (running) {
    try {
      for (const code of await detector.detect(video)) {
        const token = ticketToken(code.rawValue, panel.dataset.checkinPrefix);
        if (!token) {
          result.textContent = "That QR code is not a ticket for this session.";
        } else if (Date.now() - (seen.get(token) || 0) > 5000) {
          seen.set(token, Date.now());
          result.textContent = (await checkIn(token)).message;
        }
      }
    } catch {
      // a frame that could not be read: try the next one
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

canScan().then((ok) => {
  if (!ok) return;
  panel.hidden = false;
  document.getElementById("door-scan-start").addEventListener("click", start);
});
