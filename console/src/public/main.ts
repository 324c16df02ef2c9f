import { createApp } from 'vue';
import '../style.css';
import PublicApp from './PublicApp.vue';

createApp(PublicApp).mount('#app');
