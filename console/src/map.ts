import L from 'leaflet';
import 'leaflet/dist/leaflet.css';

export interface MapPoint { id: string; lat: number; lon: number; color: string; label: string }
export interface Basemap { url: string; attribution: string }

/** WMTS REST templates ({TileMatrix}/{TileRow}/{TileCol}) become Leaflet's {z}/{y}/{x}. */
export const toXyz = (url: string) => url.replace(/\{Style\}/g, 'default').replace(/\{TileMatrixSet\}/g, 'GoogleMapsCompatible').replace(/\{TileMatrix\}/g, '{z}').replace(/\{TileRow\}/g, '{y}').replace(/\{TileCol\}/g, '{x}');

/**
 * Sensor map on Leaflet's canvas renderer: measured against MapLibre GL JS with 10,000
 * points in headless chromium (console/bench/map-10k.mjs, README "Console and public page").
 * One canvas holds every point, so 10,000 sensors are one layer, not 10,000 DOM nodes (CO8).
 * Without a basemap it draws on a plain background (offline), with district outlines when
 * the registry carries boundaries.
 */
export class SensorMap {
  readonly map: L.Map;
  private readonly renderer = L.canvas({ padding: 0.3 });
  private readonly markers = new Map<string, L.CircleMarker>();
  private fitted = false;

  constructor(el: HTMLElement, basemap: Basemap | null, private readonly onPick: (id: string) => void) {
    this.map = L.map(el, { preferCanvas: true, zoomSnap: 0.5, attributionControl: !!basemap }).setView([24.95, 121.25], 11);
    if (basemap) L.tileLayer(toXyz(basemap.url), { attribution: basemap.attribution, maxZoom: 19 }).addTo(this.map);
    L.control.scale({ imperial: false }).addTo(this.map);
  }

  outlines(features: GeoJSON.Feature[]): void {
    if (features.length) L.geoJSON(features as unknown as GeoJSON.FeatureCollection, { style: { color: '#37474f', weight: 1.5, fill: false, dashArray: '4 3' }, interactive: false }).addTo(this.map);
  }

  set(points: readonly MapPoint[]): void {
    const seen = new Set<string>();
    for (const p of points) {
      seen.add(p.id);
      const m = this.markers.get(p.id);
      if (m) {
        m.setStyle({ fillColor: p.color });
        m.setTooltipContent(p.label);
        continue;
      }
      const c = L.circleMarker([p.lat, p.lon], { renderer: this.renderer, radius: 6, color: '#263238', weight: 1, fillColor: p.color, fillOpacity: 0.9 });
      c.bindTooltip(p.label);
      c.on('click', () => this.onPick(p.id));
      c.addTo(this.map);
      this.markers.set(p.id, c);
    }
    for (const [id, m] of this.markers) if (!seen.has(id)) { m.remove(); this.markers.delete(id); }
    if (!this.fitted && points.length) {
      this.fitted = true;
      this.map.fitBounds(L.latLngBounds(points.map((p) => [p.lat, p.lon] as [number, number])).pad(0.05));
    }
  }

  focus(id: string): void {
    const m = this.markers.get(id);
    if (m) this.map.setView(m.getLatLng(), Math.max(this.map.getZoom(), 14));
  }

  destroy(): void {
    this.map.remove();
  }
}
