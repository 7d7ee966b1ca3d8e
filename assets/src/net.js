// The scanner's requests: this device's id, random nonces, the CSRF token, and JSON calls to
// the scanner's endpoints (/checkin/<event>/...), failing with the server's detail and status.
const root = document.getElementById("scanner");
const eventId = root ? Number(root.dataset.eventId) : 0;

export function deviceId() {
  let id = "";
  try {
    id = localStorage.getItem("canal-device") || "";
    if (!id) {
      id = `d-${randomId().slice(0, 12)}`;
      localStorage.setItem("canal-device", id);
    }
  } catch (_error) {
    id = id || `d-${randomId().slice(0, 12)}`;
  }
  return id;
}

export function randomId() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : root.dataset.csrf || "";
}

export async function call(method, path, body) {
  const response = await fetch(`/checkin/${eventId}${path}`, {
    method,
    credentials: "same-origin",
    headers: {
      Accept: "application/json",
      ...(body ? { "Content-Type": "application/json", "x-csrftoken": csrfToken() } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  let json = null;
  try {
    json = await response.json();
  } catch (_error) {
    json = null;
  }
  if (!response.ok) {
    const error = new Error((json && json.detail) || `HTTP ${response.status}`);
    error.status = response.status;
    throw error;
  }
  return json;
}
